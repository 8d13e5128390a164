"""One row per thing, most important first, and every claim with its evidence code and hedge.

Named-query answers list each compensating muscle once, whatever number of edges and sources lead
to it, in the order the article gives where it gives one (lbp:emphasisRank), else by label; and
`explain`, `sources` and `lower-crossed-pattern` carry each claim's ECO code and hedge. The expected
answers are read from the ontology's own triples (rdflib, walking the graph), not written down here,
except what the article itself states: quadratus lumborum is "the muscle most commonly overloaded
when the glutes are inhibited".
"""
from __future__ import annotations

from collections import defaultdict

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace
from rdflib.namespace import DCTERMS

from tests.conftest import edge_axioms

LBP = Namespace("https://w3id.org/lbp-kg/id/")
ARTICLE = LBP["source-lau-low-back-pain-glutes"]


@pytest.fixture(scope="module")
def graph(modules_graph) -> Graph:
    return modules_graph


def muscles_and_groups(graph: Graph) -> list:
    return sorted(set(graph.subjects(RDF.type, LBP.Muscle)) | set(graph.subjects(RDF.type, LBP.MuscleGroup)))


def sort_key(row: dict) -> tuple:
    return (int(row["emphasis"]) if row["emphasis"] else float("inf"), row["compensatorLabel"])


# --- compensators: one row per compensating muscle, the article's emphasis first ------------------

def test_quadratus_lumborum_comes_first_for_gluteus_medius_as_the_article_says(ask):
    rows = ask("compensators", muscle="gluteus medius")
    assert rows[0]["compensatorLabel"] == "quadratus lumborum"
    assert rows[0]["emphasis"] == "1"
    assert [row["compensatorLabel"] for row in rows[1:]] == sorted(row["compensatorLabel"] for row in rows[1:])
    assert all(row["emphasis"] is None for row in rows[1:])


def test_the_emphasis_is_the_articles_own(graph):
    ranked = list(graph.subject_objects(LBP.emphasisRank))
    assert ranked, "the article's emphasis on quadratus lumborum is recorded"
    for claim, _ in ranked:
        assert (claim, DCTERMS.source, ARTICLE) in graph
    (claim, rank), = [(c, r) for c, r in ranked if graph.value(c, OWL.annotatedTarget) == LBP["quadratus-lumborum-overload"]]
    assert int(rank) == 1 and graph.value(claim, OWL.annotatedProperty) == LBP.overloads


@pytest.mark.parametrize("muscle", ["gluteus medius", "gluteals", "gluteus maximus", "psoas major", "hip flexors"])
def test_every_compensator_is_listed_once_in_emphasis_then_label_order(ask, muscle):
    rows = ask("compensators", muscle=muscle)
    compensators = [row["compensator"] for row in rows]
    assert len(compensators) == len(set(compensators))
    assert [sort_key(row) for row in rows] == sorted(sort_key(row) for row in rows)


def test_every_muscle_and_group_has_one_row_per_compensator_in_order(ask, graph):
    checked = 0
    for muscle in muscles_and_groups(graph):
        rows = ask("compensators", muscle=str(muscle))
        assert len({row["compensator"] for row in rows}) == len(rows), muscle
        assert [sort_key(row) for row in rows] == sorted(sort_key(row) for row in rows), muscle
        checked += bool(rows)
    assert checked >= 2  # gluteus medius and the gluteals at least


def test_a_row_keeps_every_source_of_the_edges_that_lead_to_its_compensator(ask, graph):
    rows = ask("compensators", muscle="gluteus medius")
    assert rows
    for row in rows:
        expected = set()
        for inhibited_state, relation in graph.subject_predicates(LBP[row["state"].rsplit("/", 1)[1]]):
            if inhibited_state == LBP[row["inhibitedState"].rsplit("/", 1)[1]]:
                for claim in edge_axioms(graph, inhibited_state, relation, LBP[row["state"].rsplit("/", 1)[1]]):
                    expected |= {str(source) for source in graph.objects(claim, DCTERMS.source)}
        listed = set(row["sources"].split(" "))
        assert listed == expected and row["source"] in listed


# --- the standing of each claim in explain, sources and lower-crossed-pattern ----------------------

def check_claim_columns(graph: Graph, rows: list[dict], subject: str, relation: str, target: str) -> int:
    """Each row's evidence code and hedge are those its claim carries; return the rows checked."""
    hedges_seen = defaultdict(set)
    checked = 0
    for row in rows:
        if not row["source"] or not row[subject] or row[relation] is None:
            continue
        claims = [claim for claim in edge_axioms(graph, _node(row[subject]), _node(row[relation]), _node(row[target]))
                  if (claim, DCTERMS.source, _node(row["source"])) in graph]
        assert claims, row
        codes = {str(code) for claim in claims for code in graph.objects(claim, LBP.evidenceCode)}
        assert row["evidenceCode"] in codes, row
        assert row["evidenceCodeLabel"] == str(graph.value(_node(row["evidenceCode"]), RDFS.label))
        hedges = {str(hedge) for claim in claims for hedge in graph.objects(claim, LBP.hedge)}
        key = (row[subject], row[relation], row[target], row["source"])
        hedges_seen[key].add(row["hedge"])
        assert hedges_seen[key] <= (hedges or {None}), row
        checked += 1
    for key, seen in hedges_seen.items():  # one row per hedge: every hedge shows
        claims = [c for c in edge_axioms(graph, *(_node(v) for v in key[:3])) if (c, DCTERMS.source, _node(key[3])) in graph]
        assert seen == ({str(h) for c in claims for h in graph.objects(c, LBP.hedge)} or {None}), key
    return checked


def _node(value: str):
    from rdflib import URIRef
    return URIRef(value)


def test_lower_crossed_pattern_gives_each_edges_evidence_code_and_hedges(ask, graph):
    rows = ask("lower-crossed-pattern")
    assert check_claim_columns(graph, rows, "cause", "relation", "effect") > 10
    hedged = [row for row in rows if row["hedge"]]
    assert hedged, "the article hedges some causal claims"
    assert any(Literal(row["hedge"], lang="en") in set(graph.objects(None, LBP.hedge)) for row in hedged)


def test_explain_gives_each_hops_evidence_code_and_hedge(ask, graph):
    rows = ask("explain", **{"from": "prolonged sitting", "to": "low back pain"})
    assert check_claim_columns(graph, rows, "subject", "relation", "object") == len([r for r in rows if r["source"]])
    assert all(row["evidenceCode"] for row in rows if row["source"])


def test_sources_gives_each_claims_evidence_code_and_hedge(ask, graph):
    rows = ask("sources", term="gluteus medius")
    edges = [row for row in rows if row["claimKind"] == "axiom"]
    assert check_claim_columns(graph, edges, "subject", "relation", "object") == len(edges) > 0
    nodes = [row for row in rows if row["claimKind"] == "node"]
    for row in nodes:
        node = _node(row["subject"])
        assert row["evidenceCode"] in {str(code) for code in graph.objects(node, LBP.evidenceCode)}
        assert row["hedge"] in ({str(h) for h in graph.objects(node, LBP.hedge)} or {None})
    assert any(row["hedge"] == "usually" for row in nodes), "the article: gluteus medius is usually most important"
