"""Content negotiation as data and pure functions: Accept header + result kind -> media type.

Werkzeug's ``MIMEAccept.best_match`` does the q-value and wildcard work; the tables of what each
kind of answer can be served as are data in service.kg.media_types. Negotiating costs ~80 us per call in
werkzeug, more than a cached answer takes, and clients send the same few Accept headers over
and over: ``choose_media_type`` remembers its answers per (Accept, offered, format).
"""
from __future__ import annotations

from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header

from service.kg.jsonld import applied_profiles
from service.kg.media_types import FORMAT_ALIASES, GRAPH_TYPES, SOLUTION_TYPES  # noqa: F401 (re-exported)

class NotAcceptable(ValueError):
    """None of the media types the client accepts can be produced."""

    def __init__(self, offered: tuple[str, ...], format_param: str | None = None):
        self.offered = offered
        self.format_param = format_param or None
        super().__init__(not_acceptable_message(offered, format_param))


def not_acceptable_message(offered: tuple[str, ...], format_param: str | None, what: str = "this resource") -> str:
    """Say why nothing could be served, blaming what chose: the format parameter, else the Accept header."""
    if format_param:
        return (f"the format parameter format={format_param!r} names nothing {what} can be served as; "
                f"available: {', '.join(offered)}")
    return f"the Accept header allows nothing {what} can be served as; available: {', '.join(offered)}"


def choose_media_type(accept: str | None, offered: tuple[str, ...], format_param: str | None = None) -> str:
    """Return the best offered media type for the request, the first offered when it allows any.

    ``accept`` is the raw Accept header. ``format_param`` (from ``?format=``) overrides it, for
    links and downloads. Raises NotAcceptable when nothing offered is acceptable.
    """
    chosen = _chosen_media_type(accept or "", offered, format_param or "")
    if chosen is None:
        raise NotAcceptable(offered, format_param)
    return chosen


@lru_cache(maxsize=512)
def _chosen_media_type(accept: str, offered: tuple[str, ...], format_param: str) -> str | None:
    if format_param:
        media_type = FORMAT_ALIASES.get(format_param.lower(), format_param.lower())
        return media_type if media_type in offered else None
    parsed = parse_accept_header(accept, MIMEAccept)
    if not parsed:
        return offered[0]
    if any(";" in value for value, _ in parsed):
        # werkzeug matches a range with parameters (application/ld+json;profile="...") against no
        # offered type; the media type alone decides, and the profile is read by jsonld_profiles
        parsed = MIMEAccept([(parse_options_header(value)[0], quality) for value, quality in parsed])
    # best_match returns the first offered type on a bare */*; that is the default we want
    return parsed.best_match(offered)


@lru_cache(maxsize=512)
def jsonld_profiles(accept: str | None) -> tuple[str, ...]:
    """Return the profile IRIs the Accept header asks of ``application/ld+json`` (JSON-LD 1.1, 9.1).

    They are the ``profile`` parameter (space-separated IRIs) of the most preferred
    application/ld+json range that has one; () when none does. Which of them a resource honours
    is its own business (service.kg.jsonld.applied_profiles).
    """
    for value, quality in parse_accept_header(accept or "", MIMEAccept):  # most preferred first
        media_type, options = parse_options_header(value)
        if media_type == "application/ld+json" and quality > 0 and options.get("profile"):
            return tuple(options["profile"].split())
    return ()


@lru_cache(maxsize=512)
def answer_media_types(accept: str | None, format_param: str | None) -> tuple[str | None, str | None]:
    """Return the media types a query answer would be written in: (for solutions, for graphs).

    Either is None when the request accepts nothing of that kind; a query's kind is only known
    once it runs, so both are chosen up front.
    """
    return (_chosen_media_type(accept or "", SOLUTION_TYPES, format_param or ""),
            _chosen_media_type(accept or "", GRAPH_TYPES, format_param or ""))


def answer_content_type(media_type: str, accept: str | None) -> tuple[str, tuple[str, ...]]:
    """Return the Content-Type of an answer in ``media_type`` and the JSON-LD profiles it is written in.

    For application/ld+json, the profiles asked for that the service honours
    (service.kg.jsonld.applied_profiles), named in the Content-Type's profile parameter as JSON-LD
    1.1 (section 9.1) does; for any other type, the type itself and no profile. Use the Content-Type
    for the ETag too: the forms are different answers.
    """
    if media_type != "application/ld+json":
        return media_type, ()
    profiles = applied_profiles(jsonld_profiles(accept))
    return (f'{media_type}; profile="{" ".join(profiles)}"' if profiles else media_type), profiles
