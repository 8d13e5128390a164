"""Specification of the clinical model: the lower crossed pattern, its sources, care and targets.

The modules are read straight from ontology/modules (no service, no reasoner), so these tests
check what is asserted. The anatomy module is loaded when it is present.
"""
from __future__ import annotations

from collections import deque

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from service.paths import ONTOLOGY_DIR
from service.kg.rdf_files import parse_rdf_file
from tests.conftest import ARTICLE_SECTIONS

LBP = Namespace("https://w3id.org/lbp-kg/id/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
DEFINITION = OBO.IAO_0000115
DISEASE_HAS_FEATURE = OBO.RO_0004029
HAS_SYMPTOM = OBO.RO_0002452

MODULES_DIR = ONTOLOGY_DIR / "modules"
REQUIRED_MODULES = ("core", "sources", "clinical", "care", "evidence")
OPTIONAL_MODULES = ("anatomy",)

ARTICLE = LBP["source-lau-low-back-pain-glutes"]
JANDA = LBP["source-janda-1987-muscles-motor-control"]
#: the accounts of Janda's pattern that were actually read
JANDA_ACCOUNTS = {LBP["source-key-2010-crossed-syndromes"], LBP["source-greenman-massage-bodywork-2015"]}


#: Every HP and MONDO identifier in ontology/reference/terms.tsv; no other may be mapped to.
REFERENCE_CLINICAL_IDS = {
    OBO[local] for local in (
        "HP_0003419", "HP_0003418", "HP_0011868", "MONDO_0024333", "HP_0008441", "MONDO_0100202",
        "HP_0008419", "MONDO_0011385", "MONDO_0044339", "HP_0003394", "HP_0020025", "HP_0003307",
        "HP_0002938", "MONDO_0006862", "HP_0003093", "MONDO_0043320", "MONDO_0002959",
        "HP_0003326", "HP_0012515",
    )
}

#: Binary relations whose every edge is a clinical claim and must carry an axiom annotation.
ANNOTATED_RELATIONS = (
    LBP.indicates, LBP.treats, LBP.aggravatedBy, LBP.relievedBy, LBP.hasPossibleFinding,
    DISEASE_HAS_FEATURE, HAS_SYMPTOM,
)

#: Nodes that vouch for their own statements with dcterms:source (n-ary claims).
SELF_SOURCED_CLASSES = (LBP.TreatmentTarget, LBP.TreatmentProtocol, LBP.Prognosis)


@pytest.fixture(scope="module")
def model() -> Graph:
    """The core, sources, clinical and care modules (and anatomy if present) merged."""
    graph = Graph()
    for name in REQUIRED_MODULES:
        graph += parse_rdf_file(MODULES_DIR / f"{name}.ttl")
    for name in OPTIONAL_MODULES:
        path = MODULES_DIR / f"{name}.ttl"
        if path.exists():
            graph += parse_rdf_file(path)
    return graph


@pytest.fixture(scope="module")
def own_terms() -> set[URIRef]:
    """The named individuals that the clinical and care modules themselves describe."""
    terms: set[URIRef] = set()
    for name in ("clinical", "care"):
        module = parse_rdf_file(MODULES_DIR / f"{name}.ttl")
        terms.update(module.subjects(RDF.type, OWL.NamedIndividual))
    return terms


def causal_relations(model: Graph) -> set[URIRef]:
    """Return lbp:causes and every property declared beneath it."""
    return set(model.transitive_subjects(RDFS.subPropertyOf, LBP.causes))


def causal_successors(model: Graph, node: URIRef) -> set[URIRef]:
    """Return what `node` directly brings about through any causal relation."""
    return {o for p in causal_relations(model) for o in model.objects(node, p)}


def is_reachable(model: Graph, start: URIRef, goal: URIRef) -> bool:
    """Return whether a chain of causal edges leads from start to goal."""
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for successor in causal_successors(model, node) - seen:
            seen.add(successor)
            queue.append(successor)
    return False


def axioms_for(model: Graph, subject, predicate, obj) -> list:
    """Return the owl:Axiom nodes that annotate the triple (subject, predicate, obj)."""
    return [
        axiom for axiom in model.subjects(OWL.annotatedSource, subject)
        if (axiom, RDF.type, OWL.Axiom) in model
        and (axiom, OWL.annotatedProperty, predicate) in model
        and (axiom, OWL.annotatedTarget, obj) in model
    ]


def sources_of(model: Graph, subject, predicate, obj) -> set:
    """Return the sources cited for the triple (subject, predicate, obj)."""
    return {s for axiom in axioms_for(model, subject, predicate, obj)
            for s in model.objects(axiom, DCTERMS.source)}


def claim_edges(model: Graph) -> list[tuple]:
    """Return every asserted clinical edge that needs an axiom annotation of its own."""
    relations = causal_relations(model) | set(ANNOTATED_RELATIONS) | {LBP.appliesTo}
    self_sourced = {node for cls in SELF_SOURCED_CLASSES for node in model.subjects(RDF.type, cls)}
    return [(s, p, o) for p in relations for s, o in model.subject_objects(p)
            if s not in self_sourced]


# --- provenance ---------------------------------------------------------------------------

def test_every_clinical_edge_is_annotated_with_a_source_that_is_a_known_source(model):
    edges = claim_edges(model)
    assert len(edges) > 60
    unsourced = [edge for edge in edges
                 if not any((source, RDF.type, LBP.Source) in model
                            for source in sources_of(model, *edge))]
    assert unsourced == []


def test_every_claim_annotation_carries_an_evidence_note_in_english(model):
    for axiom in model.subjects(RDF.type, OWL.Axiom):
        notes = list(model.objects(axiom, LBP.evidenceNote))
        assert len(notes) == 1, axiom
        assert notes[0].language == "en"


def test_claims_from_the_article_quote_one_of_its_section_headings(model):
    article_axioms = list(model.subjects(DCTERMS.source, ARTICLE))
    assert article_axioms
    for node in article_axioms:
        sections = {str(s) for s in model.objects(node, LBP.sourceSection)}
        assert len(sections) == 1 and sections <= ARTICLE_SECTIONS, (node, sections)


def test_every_axiom_annotates_a_triple_that_is_asserted(model):
    for axiom in model.subjects(RDF.type, OWL.Axiom):
        triple = (model.value(axiom, OWL.annotatedSource),
                  model.value(axiom, OWL.annotatedProperty),
                  model.value(axiom, OWL.annotatedTarget))
        assert triple in model, triple


def test_treatment_targets_protocols_and_prognoses_cite_their_source_on_the_node(model):
    nodes = [node for cls in SELF_SOURCED_CLASSES for node in model.subjects(RDF.type, cls)]
    assert len(nodes) == 11  # five treatment targets, three protocols, three prognoses (general, recent, long-standing)
    for node in nodes:
        assert model.value(node, DCTERMS.source) == ARTICLE, node
        assert str(model.value(node, LBP.sourceSection)) in ARTICLE_SECTIONS, node


def test_inhibited_gluteus_medius_overloading_quadratus_lumborum_is_attributed_to_the_article(model):
    claim = (LBP["gluteus-medius-inhibition"], LBP.overloads, LBP["quadratus-lumborum-overload"])
    assert claim in model
    assert sources_of(model, *claim) == {ARTICLE}


# --- Janda ---------------------------------------------------------------------------------

def test_janda_is_a_source_distinct_from_the_article(model):
    assert (JANDA, RDF.type, LBP.Source) in model
    assert model.value(JANDA, DCTERMS.title) != model.value(ARTICLE, DCTERMS.title)
    assert "Janda" in str(model.value(JANDA, DCTERMS.creator))


@pytest.mark.parametrize("feature", [
    "hip-flexors-tightness", "thoracolumbar-extensors-tightness",
    "abdominals-inhibition", "gluteals-inhibition",
])
def test_janda_features_cite_the_accounts_that_were_read_not_janda_nor_the_article(model, feature):
    claim = (LBP["lower-crossed-syndrome"], DISEASE_HAS_FEATURE, LBP[feature])
    assert claim in model
    assert sources_of(model, *claim) == JANDA_ACCOUNTS


def test_nothing_cites_the_janda_chapter_that_was_not_read(model):
    assert list(model.subjects(DCTERMS.source, JANDA)) == []


def test_the_article_pattern_cites_only_the_article(model):
    for state in ("quadratus-lumborum-overload", "lumbar-extensors-overload", "deep-hip-rotators-overload"):
        assert sources_of(model, LBP["gluteus-medius-inhibition"], LBP.overloads, LBP[state]) == {ARTICLE}


# --- the causal pattern --------------------------------------------------------------------

def test_the_pattern_runs_step_by_step_from_prolonged_sitting_to_low_back_pain(model):
    steps = [
        (LBP["prolonged-sitting"], LBP.causes, LBP["psoas-tightness"]),
        (LBP["psoas-tightness"], LBP.causes, LBP["anterior-pelvic-tilt"]),
        (LBP["anterior-pelvic-tilt"], LBP.inhibits, LBP["gluteus-medius-inhibition"]),
        (LBP["gluteus-medius-inhibition"], LBP.overloads, LBP["quadratus-lumborum-overload"]),
        (LBP["quadratus-lumborum-overload"], LBP.isDirectSourceOf, LBP["low-back-pain"]),
    ]
    missing = [step for step in steps if step not in model]
    assert missing == []
    assert is_reachable(model, LBP["prolonged-sitting"], LBP["low-back-pain"])


def test_prolonged_sitting_leads_on_to_disc_herniation_through_muscle_guarding(model):
    for state in ("lumbar-muscle-guarding", "spinal-compression", "reduced-disc-movement",
                  "reduced-disc-hydration", "disc-compression", "disc-herniation"):
        assert is_reachable(model, LBP["prolonged-sitting"], LBP[state]), state


def test_prolonged_sitting_is_where_the_pattern_starts_so_nothing_causes_it(model):
    causes = [s for p in causal_relations(model) for s in model.subjects(p, LBP["prolonged-sitting"])]
    assert causes == []


def test_inhibited_gluteus_medius_overloads_each_compensating_muscle(model):
    overloaded = set(model.objects(LBP["gluteus-medius-inhibition"], LBP.overloads))
    assert overloaded == {LBP["quadratus-lumborum-overload"], LBP["lumbar-extensors-overload"],
                          LBP["deep-hip-rotators-overload"]}


def test_inhibits_and_overloads_point_at_states_of_the_matching_kind(model):
    for target in model.objects(None, LBP.inhibits):
        assert (target, RDF.type, LBP.InhibitedState) in model, target
    for target in model.objects(None, LBP.overloads):
        assert (target, RDF.type, LBP.OverloadedState) in model, target


def test_tight_piriformis_and_deep_rotators_contribute_to_sciatic_nerve_irritation(model):
    # piriformis is one of the deep hip rotators: one state holds the claim, stated once
    assert set(model.subjects(LBP.contributesTo, LBP["sciatic-nerve-irritation"])) == {LBP["deep-hip-rotators-overload"]}
    assert model.value(LBP["sciatic-nerve-irritation"], LBP.stateOf) == LBP["sciatic-nerve"]


def test_each_dysfunction_state_is_the_state_of_exactly_one_anatomical_thing(model):
    state_classes = set(model.transitive_subjects(RDFS.subClassOf, LBP.DysfunctionState))
    states = {s for cls in state_classes for s in model.subjects(RDF.type, cls)}
    assert len(states) >= 15
    for state in states:
        assert len(set(model.objects(state, LBP.stateOf))) == 1, state


def test_lower_crossed_syndrome_has_the_pattern_as_features_and_low_back_pain_as_symptom(model):
    condition = LBP["lower-crossed-syndrome"]
    features = set(model.objects(condition, DISEASE_HAS_FEATURE))
    assert {LBP["psoas-tightness"], LBP["anterior-pelvic-tilt"], LBP["gluteus-medius-inhibition"],
            LBP["quadratus-lumborum-overload"]} <= features
    assert (condition, HAS_SYMPTOM, LBP["low-back-pain"]) in model


# --- symptoms and signs ---------------------------------------------------------------------

@pytest.mark.parametrize("feature", [
    "sitting-aggravated-low-back-pain", "limited-hip-extension-in-standing",
    "forward-trunk-lean", "discomfort-lying-supine",
])
def test_each_psoas_pointer_indicates_psoas_tightness(model, feature):
    assert (LBP[feature], LBP.indicates, LBP["psoas-tightness"]) in model


def test_sitting_pain_is_worse_with_sitting_and_eased_by_getting_up(model):
    symptom = LBP["sitting-aggravated-low-back-pain"]
    assert (symptom, LBP.aggravatedBy, LBP["prolonged-sitting"]) in model
    assert (symptom, LBP.relievedBy, LBP["getting-up-and-moving"]) in model


def test_hip_rotation_assessment_can_find_restriction_that_points_to_deep_hip_rotators(model):
    finding = model.value(LBP["hip-rotation-range-assessment"], LBP.hasPossibleFinding)
    assert (finding, RDF.type, LBP.ClinicalSign) in model
    assert (finding, LBP.indicates, LBP["deep-hip-rotators-overload"]) in model


def test_palpation_can_find_tightness_trigger_points_and_referred_pain(model):
    findings = set(model.objects(LBP["muscle-tone-palpation"], LBP.hasPossibleFinding))
    assert findings == {LBP["palpable-muscle-tightness"], LBP["trigger-point"],
                        LBP["referred-pain-on-pressure"]}


def test_every_assessment_applies_to_lower_crossed_syndrome(model):
    assessments = set(model.subjects(RDF.type, LBP.Assessment))
    assert len(assessments) >= 8
    for assessment in assessments:
        assert (assessment, LBP.appliesTo, LBP["lower-crossed-syndrome"]) in model, assessment


# --- treatment -------------------------------------------------------------------------------

def test_motor_point_acupuncture_treats_lumbar_muscle_guarding_on_the_disc_section(model):
    claim = (LBP["motor-point-acupuncture"], LBP.treats, LBP["lumbar-muscle-guarding"])
    assert claim in model
    (axiom,) = axioms_for(model, *claim)
    assert str(model.value(axiom, LBP.sourceSection)) == "What this does to the disc"


def test_electro_stimulation_has_two_sequencing_protocols(model):
    protocols = set(model.objects(LBP["electro-stimulation"], LBP.hasProtocol))
    assert len(protocols) == 2
    for protocol in protocols:
        assert (protocol, RDF.type, LBP.TreatmentProtocol) in model
        assert (protocol, LBP.usesTreatment, LBP["electro-stimulation"]) in model


def treatment_targets(model: Graph) -> dict[URIRef, int]:
    """Return each lower crossed syndrome target muscle that is ranked, with its priority."""
    return {
        model.value(target, LBP.targetMuscle): int(model.value(target, LBP.treatmentPriority))
        for target in model.subjects(LBP.forCondition, LBP["lower-crossed-syndrome"])
        if (target, RDF.type, LBP.TreatmentTarget) in model
        and model.value(target, LBP.treatmentPriority) is not None
    }


def test_only_gluteus_medius_is_ranked_as_the_article_ranks_only_it_and_with_its_hedge(model):
    assert treatment_targets(model) == {LBP["gluteus-medius"]: 1}
    target = LBP["lower-crossed-syndrome-gluteus-medius-target"]
    assert str(model.value(target, LBP.hedge)) == "usually"
    assert "every case" not in str(model.value(target, LBP.indicationNote))


def test_psoas_is_treated_where_clearly_indicated_not_last(model):
    target = LBP["lower-crossed-syndrome-psoas-major-target"]
    assert model.value(target, LBP.treatmentPriority) is None
    assert str(model.value(target, LBP.hedge)) == "where clearly indicated"


def test_every_treatment_target_is_complete(model):
    targets = list(model.subjects(RDF.type, LBP.TreatmentTarget))
    assert len(targets) == 5  # piriformis and the deep hip rotators are one item in the article
    for target in targets:
        assert model.value(target, LBP.usesTreatment) == LBP["motor-point-acupuncture"]
        assert model.value(target, LBP.forCondition) == LBP["lower-crossed-syndrome"]
        assert model.value(target, LBP.targetMuscle) is not None
        assert list(model.objects(target, LBP.atMotorPoint)), target
        assert str(model.value(target, LBP.indicationNote)).strip(), target


def test_each_motor_point_belongs_to_exactly_one_muscle_and_is_located_in_words(model):
    motor_points = set(model.subjects(RDF.type, LBP.MotorPoint))
    assert len(motor_points) == 8
    for point in motor_points:
        assert len(set(model.objects(point, LBP.motorPointOf))) == 1, point
        location = model.value(point, LBP.locationDescription)
        assert isinstance(location, Literal) and "nerve" in str(location), point
        assert "not from a motor point map" in str(model.value(point, SKOS.editorialNote)), point


def members_of(model: Graph, group: URIRef) -> set[URIRef]:
    """Return every muscle or group within `group`, however deeply nested, whichever way asserted."""
    found: set[URIRef] = set()
    queue = deque([group])
    while queue:
        node = queue.popleft()
        for member in set(model.objects(node, LBP.hasMember)) | set(model.subjects(LBP.memberOf, node)):
            if member not in found:
                found.add(member)
                queue.append(member)
    return found


def test_a_target_motor_point_lies_in_the_target_muscle_or_one_of_its_members(model):
    for target in model.subjects(RDF.type, LBP.TreatmentTarget):
        muscle = model.value(target, LBP.targetMuscle)
        members = members_of(model, muscle)
        for point in model.objects(target, LBP.atMotorPoint):
            owner = model.value(point, LBP.motorPointOf)
            assert owner == muscle or owner in members, (target, point, owner)


# --- terms -----------------------------------------------------------------------------------

def test_every_clinical_term_has_one_english_label_and_one_english_definition(model, own_terms):
    assert len(own_terms) > 50
    for term in own_terms:
        labels = list(model.objects(term, RDFS.label))
        definitions = list(model.objects(term, DEFINITION))
        assert len(labels) == 1 and labels[0].language == "en", term
        assert len(definitions) == 1 and definitions[0].language == "en", term


def test_external_mappings_use_only_identifiers_from_the_reference_files(model, own_terms):
    mapped = {o for term in own_terms
              for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch)
              for o in model.objects(term, p)}
    assert OBO.HP_0003419 in mapped
    assert mapped <= REFERENCE_CLINICAL_IDS


def test_low_back_pain_and_disc_herniation_map_exactly_to_their_hp_terms(model):
    assert (LBP["low-back-pain"], SKOS.exactMatch, OBO.HP_0003419) in model
    assert (LBP["disc-herniation"], SKOS.exactMatch, OBO.HP_0008441) in model
