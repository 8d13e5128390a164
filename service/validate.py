"""POST /validate: check submitted RDF, merged with the ontology, against the SHACL shapes.

Nothing is stored: the submitted triples are merged into a copy of the ontology graph for the
duration of the request.
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from service.errors import ApiError
from service.negotiation import NotAcceptable, choose_media_type
from service.rdf_files import PARSER_FOR_MEDIA_TYPE, RdfSyntaxError, parse_rdf_bytes

bp = Blueprint("validate", __name__)

REPORT_TYPES = ("application/json", "text/turtle")


def _report_json(report) -> dict:
    """Shape the report as the public contract: {conforms, results: [{focusNode, path, ...}]}."""
    results = []
    for item in report.as_dict()["results"]:
        results.append({
            "focusNode": item["focus_node"],
            "focusLabel": item["focus_label"],
            "path": item["path"],
            "value": item["value"],
            "message": item["message"],
            "severity": item["severity"],
            "sourceShape": item["source_shape"],
        })
    return {"conforms": report.conforms, "results": results}


@bp.post("/validate")
def validate():
    """Validate the request body (Turtle, JSON-LD, RDF/XML or N-Triples) with the ontology."""
    from service.validation import validate_graph

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
        submitted = parse_rdf_bytes(body, media_type)
    except RdfSyntaxError as err:
        raise ApiError(400, f"could not parse the {media_type} body: {err.message}",
                       line=err.line, column=err.column) from None

    kb = current_app.extensions["lbp_kg"]
    merged = kb.graph + submitted  # a new graph: the loaded ontology is never modified
    report = validate_graph(merged)
    if reply_type == "text/turtle":
        return Response(report.graph.serialize(format="turtle"), mimetype="text/turtle")
    payload = _report_json(report)
    payload["submittedTriples"] = len(submitted)
    return jsonify(payload)


def init_app(app: Flask) -> None:
    """Register the validation route."""
    app.register_blueprint(bp)
