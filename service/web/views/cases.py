"""POST /cases: a teaching case, from findings to drivers, a plan and the reasons (service.kg.cases).

JSON in, JSON out (or JSON-LD, when asked for with Accept: application/ld+json or ?format=jsonld):
the same answer, with a context that makes every entity it names a link to the graph's IRI.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request

from service.kg.cases import CaseError, answer_case, parse_case
from service.kg.vocabulary import prefixes
from service.web.errors import ApiError
from service.web.negotiation import NotAcceptable, choose_media_type

bp = Blueprint("cases", __name__)

ANSWER_TYPES = ("application/json", "application/ld+json")
#: the terms of a case answer, for JSON-LD; the keys that hold an entity's CURIE become links to it
CASE_VOCABULARY = "https://w3id.org/lbp-kg/case#"
_LINK_KEYS = ("iri", "state", "finding", "target", "muscle", "treatment", "motorPoint", "source", "subject",
              "relation", "object", "about", "stance", "statement", "driver", "assessment", "prognosis", "feature")


def case_context() -> dict:
    """The JSON-LD context of a case answer."""
    context: dict = {"@version": 1.1, "@vocab": CASE_VOCABULARY, **prefixes(), "id": "@id"}
    context.update({key: {"@type": "@id"} for key in _LINK_KEYS})
    context["stances"] = {"@type": "@json"}  # keyed by stance label: a count per stance, not terms
    return context


@bp.post("/cases")
def post_case():
    """Answer a teaching case given as {"findings": [...], "duration": ..., "newToAcupuncture": ...}."""
    try:
        reply_type = choose_media_type(request.headers.get("Accept"), ANSWER_TYPES, request.args.get("format"))
    except NotAcceptable as err:
        raise ApiError(406, str(err)) from None
    if (request.mimetype or "").lower() not in ("application/json", "application/ld+json"):
        raise ApiError(415, "send the case as application/json: "
                       '{"findings": ["low back pain worse after prolonged sitting"]}')
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "the body is not JSON; send {\"findings\": [...]}")
    kb = current_app.extensions["lbp_kg"]
    try:
        answer = answer_case(kb, parse_case(body))
    except CaseError as err:
        raise ApiError(400, str(err), **err.details) from None
    if reply_type == "application/ld+json":
        response = jsonify({"@context": case_context(), **answer})
        response.mimetype = "application/ld+json"
        return response
    return jsonify(answer)


def init_app(app: Flask) -> None:
    """Register the case route."""
    app.register_blueprint(bp)
