"""POST /validate: check submitted RDF, merged with the ontology, against the SHACL shapes.

Nothing is stored. The body is parsed and validated in a sandboxed worker process
(service.curation.validation, service.engine.sandbox): off the network, with its memory capped, and killed when it
runs past ``validation_timeout`` (503), so a large or hostile body never holds other requests.
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from service.web.errors import ApiError
from service.kg.knowledge import KnowledgeBase
from service.web.negotiation import NotAcceptable, choose_media_type
from service.kg.rdf_files import PARSER_FOR_MEDIA_TYPE
from service.engine.sandbox import SandboxBusy, SandboxCrashed, SandboxError, SandboxPool
from service.curation.validation import SubmittedData, load_ontology_for_validation, validate_submitted

bp = Blueprint("validate", __name__)

REPORT_TYPES = ("application/json", "text/turtle")


def validation_pool(kb: KnowledgeBase) -> SandboxPool:
    """Return the knowledge base's validation workers (created once, started on first use)."""
    def build() -> SandboxPool:
        settings = current_app.extensions["lbp_kg.settings"]
        return SandboxPool(
            "validation", load_ontology_for_validation,
            lambda: (kb.graph.serialize(format="nt", encoding="utf-8"),), validate_submitted,
            timeout=settings.validation_timeout, workers=settings.validation_workers,
            memory_mb=settings.worker_memory_mb or None, preload=("service.curation.validation", "pyshacl"))
    return kb.derived("validation_pool", build)


@bp.post("/validate")
def validate():
    """Validate the request body (Turtle, JSON-LD, RDF/XML or N-Triples) with the ontology."""
    media_type = (request.mimetype or "").lower()
    if media_type not in PARSER_FOR_MEDIA_TYPE:
        raise ApiError(415, f"cannot read a body of type {media_type or '(none)'!r}; send one of: "
                       "text/turtle, application/ld+json, application/rdf+xml, application/n-triples")
    try:
        reply_type = choose_media_type(request.headers.get("Accept"), REPORT_TYPES, request.args.get("format"))
    except NotAcceptable as err:
        raise ApiError(406, str(err)) from None
    body = request.get_data(cache=False)
    if not body.strip():
        raise ApiError(400, "the request body is empty; send the RDF to validate")
    try:
        outcome = validation_pool(current_app.extensions["lbp_kg"]).run(
            SubmittedData(body, media_type, reply_type))
    except (SandboxBusy, SandboxCrashed) as err:
        raise ApiError(503, f"validation is not available right now: {err}") from None
    except SandboxError as err:  # over the time or memory limit: the body's size is to blame
        raise ApiError(503, f"validation was stopped: {err}; send a smaller graph") from None
    if "syntaxError" in outcome:
        error = outcome["syntaxError"]
        raise ApiError(400, f"could not parse the {media_type} body: {error['message']}",
                       line=error["line"], column=error["column"])
    if reply_type == "text/turtle":
        return Response(outcome["report"], mimetype="text/turtle")
    return jsonify(outcome["report"])


def init_app(app: Flask) -> None:
    """Register the validation route."""
    app.register_blueprint(bp)
