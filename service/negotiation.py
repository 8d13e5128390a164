"""Content negotiation as data and pure functions: Accept header + result kind -> media type.

Werkzeug's ``MIMEAccept.best_match`` does the q-value and wildcard work; these tables say what
each kind of answer can be served as, default first.
"""
from __future__ import annotations

from werkzeug.datastructures import MIMEAccept

#: SELECT and ASK results
SOLUTION_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
)

#: CONSTRUCT / DESCRIBE results, entity descriptions and the ontology
GRAPH_TYPES = (
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
)

#: rdflib serializer name for each graph media type
RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}

#: file-style names accepted in a ``format=`` query parameter, for links and downloads
FORMAT_ALIASES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "html": "text/html",
}


class NotAcceptable(ValueError):
    """None of the media types the client accepts can be produced."""

    def __init__(self, offered: tuple[str, ...]):
        self.offered = offered
        super().__init__("cannot produce any media type the Accept header allows; available: "
                         + ", ".join(offered))


def choose_media_type(accept: MIMEAccept, offered: tuple[str, ...], format_param: str | None = None) -> str:
    """Return the best offered media type for the request, the first offered when it allows any.

    ``format_param`` (from ``?format=``) overrides the Accept header, for links and downloads.
    """
    if format_param:
        media_type = FORMAT_ALIASES.get(format_param.lower(), format_param.lower())
        if media_type in offered:
            return media_type
        raise NotAcceptable(offered)
    if not accept:
        return offered[0]
    best = accept.best_match(offered)
    if best is None:
        raise NotAcceptable(offered)
    # best_match returns the first offered type on a bare */*; that is the default we want
    return best
