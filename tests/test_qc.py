"""Quality checks: each qc/*-violation.rq returns no rows on the shipped ontology, and each one
does fire on a small graph that breaks its rule (so a passing check means something)."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from service.paths import QC_QUERIES_DIR
from service.store import ASSERTED_GRAPH

CHECKS = sorted(QC_QUERIES_DIR.glob("*-violation.rq"))

PREFIXES = """
@prefix lbp: <https://w3id.org/lbp-kg/id/> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
lbp:inhibits rdfs:subPropertyOf lbp:causes .
lbp:InhibitedState rdfs:subClassOf lbp:DysfunctionState .
lbp:src a lbp:Source .
"""

#: for each check, a graph that breaks its rule exactly once
BROKEN = {
    "annotation-without-claim": """[] a owl:Axiom ; owl:annotatedSource lbp:a ; owl:annotatedProperty lbp:causes ;
                                       owl:annotatedTarget lbp:b ; dcterms:source lbp:src .""",
    "bony-site-without-bone": "lbp:crest a lbp:BonySite .",
    "claim-without-evidence-code": """lbp:tilt lbp:inhibits lbp:glute-inhibition .
                                      [] a owl:Axiom ; owl:annotatedSource lbp:tilt ; owl:annotatedProperty lbp:inhibits ;
                                         owl:annotatedTarget lbp:glute-inhibition ; dcterms:source lbp:src .""",
    "claim-without-source": "lbp:tilt lbp:inhibits lbp:glute-inhibition .",
    "duplicate-label": 'lbp:a rdfs:label "psoas"@en . lbp:b rdfs:label "Psoas"@en .',
    "hedge-lost": """[] a owl:Axiom ; owl:annotatedSource lbp:ql ; owl:annotatedProperty lbp:causes ;
                         owl:annotatedTarget lbp:pain ; dcterms:source lbp:src ;
                         lbp:evidenceNote "Quadratus lumborum is often where the pain comes from."@en .""",
    "label-not-one-english": 'lbp:a rdfs:label "psoas"@en , "psoas major"@en .',
    "motor-point-without-muscle": "lbp:point a lbp:MotorPoint .",
    "muscle-without-insertion": "lbp:m a lbp:Muscle ; obo:RO_0002372 lbp:o ; obo:RO_0002005 lbp:n .",
    "muscle-without-nerve": "lbp:m a lbp:Muscle ; obo:RO_0002372 lbp:o ; obo:RO_0002373 lbp:i .",
    "muscle-without-origin": "lbp:m a lbp:Muscle ; obo:RO_0002373 lbp:i ; obo:RO_0002005 lbp:n .",
    "node-without-source": "lbp:t a lbp:TreatmentTarget .",
    "source-not-declared": """[] a owl:Axiom ; owl:annotatedSource lbp:a ; owl:annotatedProperty lbp:causes ;
                                  owl:annotatedTarget lbp:b ; dcterms:source <http://example.org/blog> .""",
    "state-without-subject": "lbp:weak-glutes a lbp:InhibitedState .",
    "term-without-definition": 'lbp:thing a owl:NamedIndividual ; rdfs:label "thing"@en .',
    "treatment-target-incomplete": """lbp:t a lbp:TreatmentTarget ; lbp:forCondition lbp:c ; lbp:targetMuscle lbp:m .""",
}


def check_name(path: Path) -> str:
    return path.name.removesuffix("-violation.rq")


def test_every_check_has_a_breaking_example():
    assert sorted(map(check_name, CHECKS)) == sorted(BROKEN)


@pytest.mark.parametrize("check", CHECKS, ids=check_name)
def test_the_shipped_ontology_passes_the_check(kb, check):
    rows = list(kb.store.query(check.read_text(encoding="utf-8"), default_graph_uris=[ASSERTED_GRAPH]))
    assert rows == [], [(str(r["entity"]), str(r["property"]), str(r["value"])) for r in rows[:10]]


@pytest.mark.parametrize("check", CHECKS, ids=check_name)
def test_the_check_fires_on_a_graph_that_breaks_it_and_names_entity_property_value(check):
    store = ox.Store()
    store.load((PREFIXES + BROKEN[check_name(check)]).encode(), ox.RdfFormat.TURTLE)
    solutions = store.query(check.read_text(encoding="utf-8"))
    assert [v.value for v in solutions.variables] == ["entity", "property", "value"]
    rows = list(solutions)
    assert rows and all(row["entity"] is not None and row["property"] is not None for row in rows)


def test_the_lost_hedge_check_reads_whole_words_and_accepts_a_recorded_hedge():
    check = (QC_QUERIES_DIR / "hedge-lost-violation.rq").read_text(encoding="utf-8")
    store = ox.Store()
    store.load((PREFIXES + """
        [] a owl:Axiom ; owl:annotatedSource lbp:a ; lbp:evidenceNote "The psoas cannot be felt directly."@en .
        [] a owl:Axiom ; owl:annotatedSource lbp:b ; lbp:evidenceNote "It is often the source."@en ;
           lbp:hedge "often"@en .
    """).encode(), ox.RdfFormat.TURTLE)
    assert list(store.query(check)) == []
