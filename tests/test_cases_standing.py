"""Where guidelines stand on a teaching case's drivers and targets (the case's `evidence`, each item's
`guidelines`, and the marker on the case page): every position shown is a statement of the graph
whose source is a clinical guideline and which weighs a claim about the item; every such statement
is shown; an item no guideline weighs says so."""
from __future__ import annotations

import pyoxigraph as ox

from service.kg.cases.standing import NO_GUIDELINE, guideline_position
from service.kg.vocabulary import expand_curie, prefixes

ARTICLE_PICTURE = ["low back pain worse after prolonged sitting", "difficulty fully straightening the hip in standing",
                   "cannot lie flat"]
#: the guideline statements weighing a claim with ?item at one end, or on ?item itself (a target
#: node), or on the edge "?treatment treats ?state" (a target's treatment claim)
GUIDELINE_STATEMENTS = """PREFIX lbp: <https://w3id.org/lbp-kg/id/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?item ?treatment ?state ?statement ?source ?stance WHERE {
  ?claim lbp:weighedBy ?statement .
  ?statement dcterms:source ?source ; lbp:stance ?stance .
  ?source lbp:sourceKind lbp:source-kind-clinical-guideline .
  { ?claim owl:annotatedSource ?item } UNION { ?claim owl:annotatedTarget ?item } UNION { FILTER (?claim = ?item) }
  UNION { ?claim owl:annotatedSource ?treatment ; owl:annotatedProperty lbp:treats ; owl:annotatedTarget ?state }
}"""
P = prefixes()


def case(client, findings) -> dict:
    response = client.post("/cases", json={"findings": findings})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def recorded(kb, item: str, treatment: str | None = None, state: str | None = None) -> set[tuple[str, str, str]]:
    bound = {ox.Variable("item"): ox.NamedNode(expand_curie(item, P))}
    if treatment:
        bound.update({ox.Variable("treatment"): ox.NamedNode(expand_curie(treatment, P)),
                      ox.Variable("state"): ox.NamedNode(expand_curie(state, P))})
    else:  # no target: the treats branch must not match anything
        bound.update({ox.Variable("treatment"): ox.NamedNode("urn:none"), ox.Variable("state"): ox.NamedNode("urn:none")})
    return {(row["statement"].value, row["source"].value, row["stance"].value)
            for row in kb.store.query(GUIDELINE_STATEMENTS, substitutions=bound)}


def shown(item: dict) -> set[tuple[str, str, str]]:
    return {(expand_curie(s["statement"], P), expand_curie(s["source"], P), expand_curie(stance["stance"], P))
            for stance in item["guidelines"]["byStance"] for s in stance["sources"]}


def test_every_guideline_position_shown_is_recorded_and_every_recorded_one_is_shown(client, kb):
    answer = case(client, ARTICLE_PICTURE)
    targets = {t["target"]: t for t in answer["plan"]["targets"]}
    assert answer["evidence"]
    for item in answer["evidence"]:
        target = targets.get(item["about"])
        expected = (recorded(kb, item["about"], target["treatment"], target["answers"]["state"]) if target
                    else recorded(kb, item["about"]))
        assert shown(item) == expected, item["about"]
        assert item["guidelines"]["position"] != "none"  # the article's treatment claims are all weighed


def test_the_psoas_driver_shows_guidelines_divided_with_who_says_what(client):
    [psoas] = [i for i in case(client, ARTICLE_PICTURE)["evidence"] if i["about"] == "lbp:psoas-tightness"]
    position = psoas["guidelines"]
    assert position["position"] == "divided"
    stances = {s["stanceLabel"]: {src["sourceLabel"] for src in s["sources"]} for s in position["byStance"]}
    assert "NICE NG59: low back pain and sciatica" in stances["disputes"]
    assert "ACP 2017: noninvasive treatments for low back pain" in stances["supports"]
    claims = {c for s in position["byStance"] for src in s["sources"] for c in src["claims"]}
    assert claims == {"motor point acupuncture treats psoas tightness"}
    assert position["summary"].startswith("guidelines are divided; disputes: NICE NG59")


def test_an_item_no_guideline_weighs_says_so_and_one_voice_is_named_as_such():
    assert guideline_position([]) == {"position": "none", "summary": NO_GUIDELINE, "byStance": []}
    one = guideline_position([{"stance": "lbp:stance-supports", "stanceLabel": "supports", "source": "lbp:s",
                               "sourceLabel": "S 2020", "statement": "lbp:e", "label": "E", "certainty": None,
                               "claims": ["x treats y"]}])
    assert (one["position"], one["summary"]) == ("supports", "guidelines support it; supports: S 2020")


def test_the_case_page_marks_each_driver_and_target_with_the_guidelines_position(client):
    answer = case(client, ARTICLE_PICTURE)
    html = client.get("/cases", query_string={"finding": ARTICLE_PICTURE}).get_data(as_text=True)
    markers = html.count('class="guideline-position"')
    assert markers == len(answer["drivers"]) + len(answer["plan"]["targets"]) == len(answer["evidence"])
    assert 'data-position="divided"' in html and "Guidelines: divided" in html
    assert "NICE NG59: low back pain and sciatica" in html and "Where guidelines stand" in html
