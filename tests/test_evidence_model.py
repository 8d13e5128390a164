"""The standing of every claim: its evidence code, its source's kind, the source's hedge, and what
other sources say of it (ontology/README.md, "The standing of a claim"); the over-claims the
review found are gone; and the named queries `evidence`, `disputed` and `pattern-muscles` put
the practitioner's claims and the other voices side by side."""
from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS


LBP = Namespace("https://w3id.org/lbp-kg/id/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
ARTICLE = LBP["source-lau-low-back-pain-glutes"]
CURATORS = LBP["source-lbp-kg-curators"]
ARTICLE_LABEL = "Lau: Low back pain and the role of the glutes"
KEY_2010 = LBP["source-key-2010-crossed-syndromes"]
PAGE_UNVALIDATED = LBP["evidence-page-pattern-unvalidated"]
#: ECO classes read in ECO's eco-basic.obo (release 2024-07-19)
AUTHOR_STATEMENT_WITHOUT_SUPPORT = OBO.ECO_0000303
CURATOR_INFERENCE = OBO.ECO_0000305
#: the relations whose every edge is a clinical claim
CLAIM_RELATIONS = (LBP.indicates, LBP.treats, LBP.aggravatedBy, LBP.relievedBy, LBP.hasPossibleFinding,
                   LBP.appliesTo, LBP.releasesMoreThan, LBP.appliedAt, OBO.RO_0004029, OBO.RO_0002452)


@pytest.fixture(scope="module")
def graph(modules_graph) -> Graph:
    return modules_graph


def claim_axioms(graph: Graph):
    relations = set(graph.transitive_subjects(RDFS.subPropertyOf, LBP.causes)) | set(CLAIM_RELATIONS)
    return [axiom for axiom in graph.subjects(RDF.type, OWL.Axiom)
            if graph.value(axiom, OWL.annotatedProperty) in relations]


def axioms_for(graph: Graph, s, p, o) -> list:
    return [a for a in graph.subjects(OWL.annotatedSource, s)
            if (a, OWL.annotatedProperty, p) in graph and (a, OWL.annotatedTarget, o) in graph]


def weighing(graph: Graph, claim) -> dict[URIRef, URIRef]:
    """Map each statement weighing a claim node to its stance."""
    return {statement: graph.value(statement, LBP.stance) for statement in graph.objects(claim, LBP.weighedBy)}


# --- the model -------------------------------------------------------------------------------

def test_every_claim_has_an_eco_evidence_code_and_every_source_a_kind(graph):
    axioms = claim_axioms(graph)
    nodes = [n for cls in (LBP.TreatmentTarget, LBP.TreatmentProtocol, LBP.Prognosis, LBP.EvidenceStatement)
             for n in graph.subjects(RDF.type, cls)]
    assert len(axioms) > 80 and len(nodes) > 25
    for claim in axioms + nodes:
        codes = set(graph.objects(claim, LBP.evidenceCode))
        assert codes and all(str(code).startswith(str(OBO) + "ECO_") for code in codes), claim
        for code in codes:  # declared with ECO's own label
            assert graph.value(code, RDFS.label) is not None, code
    for source in graph.subjects(RDF.type, LBP.Source):
        kind = graph.value(source, LBP.sourceKind)
        assert (kind, RDF.type, LBP.SourceKind) in graph, source


def test_the_articles_claims_are_its_authors_statements_and_the_curators_readings_are_their_own(graph):
    for claim in graph.subjects(DCTERMS.source, ARTICLE):
        assert set(graph.objects(claim, LBP.evidenceCode)) == {AUTHOR_STATEMENT_WITHOUT_SUPPORT}, claim
    curated = [a for a in graph.subjects(DCTERMS.source, CURATORS) if (a, RDF.type, OWL.Axiom) in graph]
    assert curated
    for claim in curated:
        assert set(graph.objects(claim, LBP.evidenceCode)) == {CURATOR_INFERENCE}, claim


@pytest.mark.parametrize("subject, relation, target", [
    ("quadratus-lumborum-overload", "causes", "lower-back-tightness"),
    ("deep-hip-rotators-overload", "causes", "loss-of-hip-mobility"),
])
def test_readings_the_article_does_not_state_are_the_curators_not_the_articles(graph, subject, relation, target):
    (axiom,) = axioms_for(graph, LBP[subject], LBP[relation], LBP[target])
    assert graph.value(axiom, DCTERMS.source) == CURATORS


@pytest.mark.parametrize("feature", ["loss-of-hip-mobility", "palpable-muscle-tightness", "trigger-point",
                                     "referred-pain-on-pressure"])
def test_consequences_and_palpation_findings_are_not_made_pointers_to_the_syndrome(graph, feature):
    assert (LBP[feature], LBP.indicates, LBP["lower-crossed-syndrome"]) not in graph


def test_quadratus_lumborum_is_often_not_always_the_direct_source_of_pain(graph):
    (axiom,) = axioms_for(graph, LBP["quadratus-lumborum-overload"], LBP.isDirectSourceOf, LBP["low-back-pain"])
    assert {str(h) for h in graph.objects(axiom, LBP.hedge)} == {"often"}


def test_prolonged_sitting_and_psoas_tightness_lie_upstream_of_the_syndrome(graph):
    assert (LBP["psoas-tightness"], LBP.contributesTo, LBP["lower-crossed-syndrome"]) in graph
    assert (LBP["prolonged-sitting"], LBP.causes, LBP["psoas-tightness"]) in graph


def test_causal_relations_specialise_ros_condition_relations_not_the_process_relation(graph):
    assert (LBP.causes, RDFS.subPropertyOf, OBO.RO_0003302) in graph
    assert (LBP.contributesTo, RDFS.subPropertyOf, OBO.RO_0003304) in graph
    assert (LBP.causes, RDFS.subPropertyOf, OBO.RO_0002411) not in graph


def test_relation_labels_read_as_true_sentences_between_states(graph):
    assert str(graph.value(LBP.inhibits, RDFS.label)) == "induces"          # tilt induces gluteus medius inhibition
    assert str(graph.value(LBP.overloads, RDFS.label)) == "is compensated by"  # inhibition is compensated by overload


def test_each_edge_is_stated_once_not_for_a_group_and_its_member(graph):
    # the article's glutes claims live on gluteus medius inhibition only; piriformis on the deep hip rotators
    assert list(graph.objects(LBP["gluteals-inhibition"], LBP.overloads)) == []
    assert (LBP["piriformis-overload"], None, None) not in graph
    assert not list(graph.subjects(LBP.stateOf, LBP.piriformis))


def test_nice_disputes_and_acp_and_who_support_the_article_s_acupuncture(graph):
    (axiom,) = axioms_for(graph, LBP["motor-point-acupuncture"], LBP.appliesTo, LBP["lower-crossed-syndrome"])
    stances = weighing(graph, axiom)
    assert stances[LBP["evidence-nice-ng59-no-acupuncture"]] == LBP["stance-disputes"]
    assert stances[LBP["evidence-acp-2017-acupuncture"]] == LBP["stance-supports"]
    assert stances[LBP["evidence-who-2023-needling"]] == LBP["stance-supports"]
    assert stances[LBP["evidence-no-motor-point-review"]] == LBP["stance-no-evidence-found"]
    assert str(graph.value(LBP["evidence-who-2023-needling"], LBP.certainty)).startswith("low-certainty")


def test_the_reviews_of_posture_dispute_the_pelvic_tilt_in_the_pattern(graph):
    (axiom,) = [a for a in axioms_for(graph, LBP["lower-crossed-syndrome"], OBO.RO_0004029, LBP["anterior-pelvic-tilt"])
                if graph.value(a, DCTERMS.source) == ARTICLE]
    disputing = {s for s, stance in weighing(graph, axiom).items() if stance == LBP["stance-disputes"]}
    assert {LBP["evidence-laird-lordosis-tilt-no-difference"], LBP["evidence-nourbakhsh-posture-not-associated"]} <= disputing


def test_sources_cite_only_dois_recorded_for_them(graph):
    identifiers = {str(d) for d in graph.objects(None, DCTERMS.identifier)}
    dois = {d for d in identifiers if "doi.org" in d}
    assert "https://doi.org/10.7326/M16-2367" in dois  # ACP 2017
    assert all(d.startswith("https://doi.org/10.") for d in dois)
    # the other identifiers are the web addresses of the pages read (anatomy references, for one)
    assert all(d.startswith(("https://", "http://")) for d in identifiers - dois)


# --- the named queries -----------------------------------------------------------------------

# `ask` (run a named query as the API does) is a fixture of tests/conftest.py.


def test_evidence_puts_the_article_and_the_guidelines_side_by_side(ask):
    rows = ask("evidence", term="motor point acupuncture")
    applies = [r for r in rows if (r["subjectLabel"], r["relationLabel"], r["objectLabel"])
               == ("motor point acupuncture", "applies to", "lower crossed syndrome")]
    assert {r["sourceLabel"] for r in applies} == {ARTICLE_LABEL}
    assert {r["sourceKindLabel"] for r in applies} == {"practitioner article"}
    assert {r["evidenceCode"] for r in applies} == {str(AUTHOR_STATEMENT_WITHOUT_SUPPORT)}
    voices = {(r["statementSourceLabel"], r["stanceLabel"]) for r in applies}
    assert ("NICE NG59: low back pain and sciatica", "disputes") in voices
    assert ("ACP 2017: noninvasive treatments for low back pain", "supports") in voices
    assert ("lbp-kg curators", "no evidence found") in voices


def test_evidence_carries_the_articles_hedge(ask):
    rows = ask("evidence", term="quadratus lumborum")
    direct = [r for r in rows if r["relationLabel"] == "is a direct source of"]
    assert direct and {r["hedge"] for r in direct} == {"often"}
    assert "disputes" in {r["stanceLabel"] for r in direct}  # Hartvigsen 2018


def test_evidence_lists_a_claim_nothing_weighs_once_with_no_other_voice(ask):
    rows = ask("evidence", term="prolonged sitting")
    sitting = [r for r in rows if (r["subjectLabel"], r["objectLabel"]) == ("prolonged sitting", "psoas tightness")]
    assert len(sitting) == 1 and sitting[0]["statement"] is None


def test_disputed_gives_both_sides_of_every_disputed_claim(ask):
    rows = ask("disputed")
    assert rows
    for row in rows:
        assert row["sourceLabel"] and row["statementSourceLabel"] and row["statementText"]
        assert row["source"] != row["statementSource"]
    claims = {(r["subjectLabel"], r["relationLabel"], r["objectLabel"], r["statementSourceLabel"]) for r in rows}
    assert ("motor point acupuncture", "applies to", "lower crossed syndrome",
            "NICE NG59: low back pain and sciatica") in claims
    assert ("lower crossed syndrome", "disease has feature", "anterior pelvic tilt",
            "Laird 2014: lumbar lordosis, pelvic tilt and low back pain") in claims
    # only disputing statements: the supporting guidelines are not listed here
    assert "ACP 2017: noninvasive treatments for low back pain" not in {r["statementSourceLabel"] for r in rows}


def test_pattern_muscles_gives_janda_s_whole_pattern_from_the_accounts_read_with_its_critics(ask):
    rows = ask("pattern-muscles", condition="lower crossed syndrome")
    janda = {(r["muscleLabel"], r["stateKind"]) for r in rows if str(KEY_2010) in r["sources"].split()}
    assert {("psoas major", "tight"), ("iliacus", "tight"), ("rectus femoris", "tight"),
            ("tensor fasciae latae", "tight"), ("longissimus", "tight"),
            ("rectus abdominis", "inhibited"), ("gluteus maximus", "inhibited")} <= janda
    assert all(str(PAGE_UNVALIDATED) in r["questionedByAll"].split() for r in rows)
    # the critic named in the row is one of those listed
    assert all(r["questionedBy"] in r["questionedByAll"].split() for r in rows)


def test_pattern_muscles_lists_each_muscle_once_per_kind_of_state_with_all_its_sources(ask):
    """Issue 16: the muscle's own state and its group's state are one row that keeps every source."""
    rows = ask("pattern-muscles", condition="lower crossed syndrome")
    keys = [(r["muscle"], r["stateKind"]) for r in rows]
    assert len(keys) == len(set(keys))
    gluteus_medius = next(r for r in rows if r["muscleLabel"] == "gluteus medius" and r["stateKind"] == "inhibited")
    # its own state (the article's) and the gluteals' (Janda's accounts) merged, every source kept
    assert gluteus_medius["stateLabel"] == "gluteus medius inhibition" and gluteus_medius["groupLabel"] is None
    assert str(LBP["gluteals-inhibition"]) in gluteus_medius["states"].split()
    assert {str(ARTICLE), str(KEY_2010)} <= set(gluteus_medius["sources"].split())
    # the named source goes with the named state
    assert gluteus_medius["source"] == str(ARTICLE)


def test_pattern_muscles_gives_the_article_s_compensating_muscles_as_overloaded(ask):
    rows = ask("pattern-muscles", condition="lower crossed syndrome")
    article = {(r["muscleLabel"], r["groupLabel"], r["stateKind"]) for r in rows if str(ARTICLE) in r["sources"].split()}
    assert {("quadratus lumborum", None, "overloaded"), ("piriformis", "deep hip rotators", "overloaded"),
            ("gluteus medius", None, "inhibited"), ("psoas major", None, "tight")} <= article


# --- the entity pages ------------------------------------------------------------------------

def test_an_entity_page_shows_what_the_evidence_says_under_each_claim(client):
    html = client.get("/id/motor-point-acupuncture", headers={"Accept": "text/html"}).get_data(as_text=True)
    treats = html.split('href="/id/gluteus-medius-inhibition"', 1)[1].split("</ul>\n</li>", 1)[0]
    assert "Hedged by the source:\n      <q>usually</q>" in treats
    assert 'title="ECO:0000303"' in treats
    assert "What the evidence says:" in treats
    assert '<span class="stance">disputes</span>:\n          <a href="/id/evidence-nice-ng59-no-acupuncture"' in treats
    assert '<span class="stance">supports</span>:\n          <a href="/id/evidence-who-2023-needling"' in treats
    assert "low-certainty evidence (conditional recommendation)" in treats


def test_a_claim_nothing_weighs_shows_no_evidence_section(client):
    html = client.get("/id/prolonged-sitting", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'title="ECO:0000303"' in html
    assert "What the evidence says:" not in html


def test_the_json_ld_of_an_entity_carries_the_standing_of_its_claims(client):
    response = client.get("/id/quadratus-lumborum-overload", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert '"hedge"' in text and '"often"' in text
    assert '"weighedBy"' in text and "evidence-hartvigsen-no-specific-cause" in text
    assert '"evidenceCode"' in text


def test_the_causes_of_the_syndrome_reach_psoas_tightness_and_prolonged_sitting(ask):
    rows = ask("causes", condition="lower crossed syndrome")
    depth = {row["causeLabel"]: int(row["depth"]) for row in rows}
    assert depth["psoas tightness"] == 1 and depth["prolonged sitting"] == 2
