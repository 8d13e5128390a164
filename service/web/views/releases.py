"""The ontology: the loaded one at /ontology, released versions at their version IRIs
(/ontology/<X.Y.Z> and /ontology/<X.Y.Z>/<artefact>).

A version is served when `lbp-kg release` wrote it into the ``releases_dir`` setting, or when it
is the version of the ontology this service has loaded (then /ontology/<X.Y.Z> is /ontology).
Any other version is a 404 naming the versions there are, so a pinned IRI never silently
answers with a different version.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, redirect, request

from service.curation.release import ARTEFACTS, released_versions
from service.web import http_cache
from service.web.errors import ApiError
from service.kg.media_types import OBO_TYPE
from service.kg.jsonld import reshaped
from service.web.negotiation import FORMAT_ALIASES, GRAPH_TYPES, NotAcceptable, answer_content_type, choose_media_type

bp = Blueprint("releases", __name__)

#: What /ontology/<version> can be served as, from a release: the artefact for each media type.
RELEASE_TYPES = {"application/rdf+xml": "lbp-kg.owl", "text/turtle": "lbp-kg.ttl",
                 "application/json": "lbp-kg.json", OBO_TYPE: "lbp-kg.obo"}
#: ?format= names for the release media types
RELEASE_FORMATS = {"owl": "application/rdf+xml", "rdf": "application/rdf+xml", "rdfxml": "application/rdf+xml",
                   "ttl": "text/turtle", "turtle": "text/turtle", "json": "application/json",
                   "obographs": "application/json", "obo": "text/obo"}


def _negotiate(offered: tuple[str, ...], aliases: dict[str, str]) -> str:
    format_param = request.args.get("format")
    try:
        return choose_media_type(request.headers.get("Accept"), offered,
                                 aliases.get((format_param or "").lower(), format_param))
    except NotAcceptable as err:
        names = sorted(alias for alias, media in aliases.items() if media in offered)
        raise ApiError(406, str(err), available=list(offered), formats=names) from None


def _releases_dir() -> Path:
    return Path(current_app.extensions["lbp_kg.settings"].releases_dir)


def known_versions() -> list[str]:
    """Every version this service can answer for: the released ones and the loaded one."""
    loaded = current_app.extensions["lbp_kg"].ontology_version
    return sorted(set(released_versions(_releases_dir())) | ({loaded} if loaded else set()))


def unknown_version(version: str) -> ApiError:
    return ApiError(404, f"no version {version!r} of the ontology is served here", versions=known_versions())


def _artefact_response(path: Path, media_type: str, version: str) -> Response:
    mimetype = media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")
    response = Response(path.read_bytes(), content_type=mimetype)
    response.headers["X-LBP-Ontology-Version"] = version
    response.headers["Cache-Control"] = "public, max-age=86400"  # a release never changes
    return response


@bp.get("/ontology")
def ontology():
    """Serve the merged ontology (header, modules, extensions) with its version."""
    kb = current_app.extensions["lbp_kg"]
    wanted = request.args.get("version")
    if wanted is not None and wanted != kb.ontology_version:
        # a pinned version is served at its version IRI, never silently replaced by another
        if wanted not in known_versions():
            raise unknown_version(wanted)
        return redirect(f"{request.script_root}/ontology/{wanted}", code=303)
    return _loaded_ontology(kb)


#: The loaded ontology: every graph type, and OBO (?format=obo or Accept: text/obo).
ONTOLOGY_TYPES = GRAPH_TYPES + (OBO_TYPE,)
ONTOLOGY_FORMATS = {**FORMAT_ALIASES, "obo": OBO_TYPE}


def _loaded_ontology(kb) -> Response:
    media_type = _negotiate(ONTOLOGY_TYPES, ONTOLOGY_FORMATS)
    content_type, profiles = answer_content_type(media_type, request.headers.get("Accept"))
    etag = http_cache.answer_etag(kb.version, content_type)
    unchanged = http_cache.not_modified(etag)
    if unchanged is not None:
        return unchanged
    mimetype = content_type + ("; charset=utf-8" if media_type.startswith("text/") else "")
    body = kb.ontology_bytes(media_type) if not profiles else \
        kb.derived(("ontology_bytes", media_type, profiles), lambda: reshaped(kb.ontology_bytes(media_type), profiles))
    response = Response(body, content_type=mimetype)
    # every module served, core and extension, with its version: "<iri> 0.2.0, <iri> -"
    response.headers["X-LBP-Modules"] = ", ".join(f"<{m.iri}> {m.version or '-'}" for m in kb.modules)
    return http_cache.cacheable(response, etag)


@bp.get("/ontology/<version>")
def version_document(version: str):
    """The release of one version, negotiated among its artefacts; the loaded version as /ontology."""
    if version in released_versions(_releases_dir()):
        media_type = _negotiate(tuple(RELEASE_TYPES), RELEASE_FORMATS)
        return _artefact_response(_releases_dir() / version / RELEASE_TYPES[media_type], media_type, version)
    kb = current_app.extensions["lbp_kg"]
    if version == kb.ontology_version:
        return _loaded_ontology(kb)
    raise unknown_version(version)


@bp.get("/ontology/<version>/<artefact>")
def version_artefact(version: str, artefact: str):
    """One artefact of a released version, e.g. /ontology/0.2.0/lbp-kg.owl."""
    if version not in released_versions(_releases_dir()):
        raise unknown_version(version)
    if artefact not in ARTEFACTS:
        raise ApiError(404, f"a release has no artefact {artefact!r}", artefacts=sorted(ARTEFACTS))
    return _artefact_response(_releases_dir() / version / artefact, ARTEFACTS[artefact], version)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
