"""The service answers over asserted plus inferred triples; a query can choose either."""
from __future__ import annotations

import pytest

LBP = "https://w3id.org/lbp-kg/id/"
OBO = "http://purl.obolibrary.org/obo/"
ASSERTED = "https://w3id.org/lbp-kg/graph/asserted"
INFERRED = "https://w3id.org/lbp-kg/graph/inferred"


def ask(client, pattern: str, *graphs: str) -> bool:
    query = f"ASK {{ {pattern} }}"
    response = client.get("/sparql", query_string=[("query", query)] + [("default-graph-uri", g) for g in graphs])
    assert response.status_code == 200, response.get_json()
    return response.get_json()["boolean"]


ENTAILMENTS = {
    "an inverse: the femoral nerve innervates iliacus":
        f"<{LBP}femoral-nerve> <{OBO}RO_0002134> <{LBP}iliacus>",
    "a super-property: an inhibited gluteus medius causes or contributes to an overloaded quadratus lumborum":
        f"<{LBP}gluteus-medius-inhibition> <{OBO}RO_0003302> <{LBP}quadratus-lumborum-overload>",
    "transitivity: the iliac crest is part of the hip bone":
        f"<{LBP}iliac-crest> <{OBO}BFO_0000050> <{LBP}hip-bone>",
    "group membership through a smaller group: psoas major is part of the hip flexors":
        f"<{LBP}psoas-major> <{OBO}BFO_0000050> <{LBP}hip-flexors>",
    "the class hierarchy: gluteus medius is an anatomical entity":
        f"<{LBP}gluteus-medius> a <{LBP}AnatomicalEntity>",
}


@pytest.mark.parametrize("pattern", ENTAILMENTS.values(), ids=ENTAILMENTS.keys())
def test_sparql_answers_what_the_axioms_entail_by_default(client, pattern):
    assert ask(client, pattern) is True


@pytest.mark.parametrize("pattern", ENTAILMENTS.values(), ids=ENTAILMENTS.keys())
def test_the_entailment_lives_in_the_inferred_graph_not_the_asserted_one(client, pattern):
    assert ask(client, pattern, INFERRED) is True
    assert ask(client, pattern, ASSERTED) is False


def test_asserted_triples_are_not_repeated_in_the_inferred_graph(client):
    pattern = f"<{LBP}gluteus-medius> <{OBO}RO_0002373> <{LBP}greater-trochanter>"
    assert ask(client, pattern, ASSERTED) is True
    assert ask(client, pattern, INFERRED) is False


def test_the_service_description_names_the_inferred_graph(client):
    description = client.get("/sparql", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert INFERRED in description
