"""POST /cases: a teaching case, from findings to drivers, a plan and the reasons (service.kg.cases).

JSON in, JSON out (or JSON-LD, when asked for with Accept: application/ld+json or ?format=jsonld):
the same answer, with a context that makes every entity it names a link to the graph's IRI.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, render_template, request

from service.kg.cases import CaseError, answer_case, finding_menu, parse_case
from service.kg.vocabulary import prefixes
from service.web.errors import ApiError
from service.web.negotiation import NotAcceptable, choose_media_type
from service.web.views.pages import GRAPH_ASSETS, INSTALL_COMMAND, missing_assets

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


#: one click away on the page: cases built from the article's own descriptions
WORKED_EXAMPLES = (
    ("The article's picture: worse after sitting, can't straighten the hip, can't lie flat",
     ("lbp:sitting-aggravated-low-back-pain", "lbp:limited-hip-extension-in-standing", "lbp:discomfort-lying-supine")),
    ("Restricted hip rotation, nothing pointing to the psoas", ("lbp:restricted-hip-rotation",)),
    ("Marked lumbar tension with restricted extension", ("lbp:lower-back-tightness", "lbp:restricted-lumbar-extension")),
)


@bp.get("/cases")
def case_page():
    """The case page: a checklist of findings; with ?finding=... the case's answer, shareable by URL."""
    kb = current_app.extensions["lbp_kg"]
    findings = tuple(f.strip() for f in request.args.getlist("finding") if f.strip())
    duration = request.args.get("duration") or None
    new = request.args.get("new") in ("1", "true", "on")
    answer, error, status = None, None, 200
    if findings:
        try:
            answer = answer_case(kb, parse_case({"findings": list(findings), "duration": duration,
                                                 "newToAcupuncture": new}))
        except CaseError as err:
            error, status = {"message": str(err), **err.details}, 400
    return render_template("cases.html", active_page="cases", menu=finding_menu(kb), chosen=set(findings),
                           duration=duration, new=new, answer=answer, error=error,
                           examples=WORKED_EXAMPLES, findings=findings,
                           chains={d["state"]: chain_steps(d) for d in (answer or {}).get("drivers") or []},
                           standing={item["about"]: item for item in (answer or {}).get("evidence") or []},
                           missing=missing_assets(GRAPH_ASSETS), install_command=INSTALL_COMMAND), status


def chain_steps(driver: dict) -> list[list[str]]:
    """Return the edges of a driver's chains, each once, as [subject, relation, object] CURIEs: what
    the case page draws in bold on the pattern graph (graph.js, data-highlight)."""
    steps = (
        (edge["subject"], edge["relation"], edge["object"])
        for reason in driver["because"] for edge in reason["edges"]
    )
    return [list(step) for step in dict.fromkeys(steps)]


def init_app(app: Flask) -> None:
    """Register the case route."""
    app.register_blueprint(bp)
