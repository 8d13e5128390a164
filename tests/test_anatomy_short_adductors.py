"""The short hip adductors in Janda's lower crossed syndrome: modelled as muscles with their anatomy,
put in the pattern as tight in the name of the account that names them (Greenman, as quoted in
Massage & Bodywork 2015), never the article's, with that account's evidence code and the reviews
that question the pattern."""
from __future__ import annotations

import pytest
from rdflib import RDF, Graph, Namespace
from rdflib.namespace import DCTERMS, SKOS

from tests.conftest import edge_axioms

LBP = Namespace("https://w3id.org/lbp-kg/id/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
GREENMAN = LBP["source-greenman-massage-bodywork-2015"]
ARTICLE = LBP["source-lau-low-back-pain-glutes"]
DISEASE_HAS_FEATURE = OBO.RO_0004029
SHORT_ADDUCTORS = ("adductor-longus", "adductor-brevis", "pectineus")
PATTERN_EDGE = (LBP["lower-crossed-syndrome"], DISEASE_HAS_FEATURE, LBP["short-hip-adductors-tightness"])


@pytest.fixture(scope="module")
def graph(modules_graph) -> Graph:
    return modules_graph


def test_the_short_adductors_are_a_group_of_three_muscles_of_the_medial_thigh(graph):
    group = LBP["short-hip-adductors"]
    assert (group, RDF.type, LBP.MuscleGroup) in graph
    assert set(graph.objects(group, LBP.hasMember)) == {LBP[m] for m in SHORT_ADDUCTORS}
    for name in SHORT_ADDUCTORS:
        muscle = LBP[name]
        assert (muscle, RDF.type, LBP.Muscle) in graph
        assert (muscle, LBP.memberOf, group) in graph
        assert (muscle, LBP.hasPrimaryAction, LBP["hip-adduction"]) in graph
    # the short adductors are not hip flexors, though they help flex the hip
    assert not set(graph.objects(LBP["hip-flexors"], LBP.hasMember)) & {LBP[m] for m in SHORT_ADDUCTORS}


def test_the_adductors_anatomy_is_as_the_references_give_it(graph):
    assert (LBP["adductor-longus"], OBO.RO_0002372, LBP["body-of-pubis"]) in graph
    assert (LBP["adductor-brevis"], OBO.RO_0002372, LBP["inferior-pubic-ramus"]) in graph
    assert (LBP["pectineus"], OBO.RO_0002372, LBP["pectineal-line"]) in graph
    assert (LBP["pectineus"], OBO.RO_0002373, LBP["pectineal-line-of-femur"]) in graph
    for name in ("adductor-longus", "adductor-brevis"):
        assert set(graph.objects(LBP[name], OBO.RO_0002005)) == {LBP["obturator-nerve"]}
        assert (LBP[name], OBO.RO_0002373, LBP["medial-lip-of-linea-aspera"]) in graph
    # pectineus is supplied by the femoral nerve, not the obturator nerve that supplies the others
    assert set(graph.objects(LBP["pectineus"], OBO.RO_0002005)) == {LBP["femoral-nerve"]}
    for name in SHORT_ADDUCTORS:
        assert set(graph.objects(LBP[name], LBP.hasSegmentalInnervation)) == {
            LBP["spinal-level-L2"], LBP["spinal-level-L3"]}


def test_no_identifier_is_guessed_for_the_adductors(graph):
    for name in (*SHORT_ADDUCTORS, "short-hip-adductors"):
        for predicate in (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch):
            assert list(graph.objects(LBP[name], predicate)) == [], name


def test_their_tightness_is_in_janda_s_pattern_in_greenman_s_name_not_the_article_s(graph):
    assert PATTERN_EDGE in graph
    state = LBP["short-hip-adductors-tightness"]
    assert (state, RDF.type, LBP.TightState) in graph
    assert (state, LBP.stateOf, LBP["short-hip-adductors"]) in graph
    axioms = edge_axioms(graph, *PATTERN_EDGE)
    assert len(axioms) == 1
    axiom = axioms[0]
    assert set(graph.objects(axiom, DCTERMS.source)) == {GREENMAN}
    assert ARTICLE not in set(graph.objects(axiom, DCTERMS.source))
    # an account of another author's work: ECO "author statement supported by traceable reference"
    assert graph.value(axiom, LBP.evidenceCode) == OBO.ECO_0000304
    # Greenman states it outright, so no hedge is recorded
    assert graph.value(axiom, LBP.hedge) is None
    assert {LBP["evidence-page-pattern-unvalidated"], LBP["evidence-key-pattern-not-universal"]} <= set(
        graph.objects(axiom, LBP.weighedBy))


def test_greenman_s_account_is_a_secondary_source_with_the_page_read(graph):
    assert graph.value(GREENMAN, LBP.sourceKind) == LBP["source-kind-secondary-account"]
    assert "massageandbodyworkdigital.com" in str(graph.value(GREENMAN, DCTERMS.identifier))


def test_pattern_muscles_lists_each_short_adductor_as_tight_with_greenman_and_the_critics(ask):
    rows = ask("pattern-muscles", condition="lower crossed syndrome")
    adductors = [r for r in rows if r["groupLabel"] == "short hip adductors"]
    assert {r["muscleLabel"] for r in adductors} == {"adductor longus", "adductor brevis", "pectineus"}
    assert {r["stateKind"] for r in adductors} == {"tight"}
    assert {r["sourceLabel"] for r in adductors} == {"Greenman, quoted in Massage & Bodywork 2015"}
    assert all(str(LBP["evidence-page-pattern-unvalidated"]) in r["questionedByAll"].split() for r in adductors)
