"""The anatomy module states textbook anatomy that agrees with the references it cites (ontology/reference/)."""
from __future__ import annotations

import csv

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from service.paths import ONTOLOGY_DIR
from service.kg.rdf_files import parse_rdf_file
from tests.conftest import REFERENCE_DIR

LBP = Namespace("https://w3id.org/lbp-kg/id/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")

PART_OF = OBO.BFO_0000050
HAS_ORIGIN = OBO.RO_0002372
HAS_INSERTION = OBO.RO_0002373
INNERVATED_BY = OBO.RO_0002005
HAS_ANTAGONIST = OBO.RO_0002568
DEFINITION = OBO.IAO_0000115

ANATOMY_FILE = ONTOLOGY_DIR / "modules" / "anatomy.ttl"
CORE_FILE = ONTOLOGY_DIR / "modules" / "core.ttl"
SOURCES_FILE = ONTOLOGY_DIR / "modules" / "sources.ttl"
PAGES_READ_FILE = ONTOLOGY_DIR / "reference" / "anatomy-pages-read.tsv"

FIXED_MUSCLES = (
    "psoas-major iliacus gluteus-maximus gluteus-medius gluteus-minimus quadratus-lumborum "
    "piriformis obturator-internus obturator-externus superior-gemellus inferior-gemellus "
    "quadratus-femoris longissimus iliocostalis multifidus rectus-femoris tensor-fasciae-latae "
    "rectus-abdominis transversus-abdominis external-oblique internal-oblique biceps-femoris "
    "semitendinosus semimembranosus adductor-longus adductor-brevis pectineus"
).split()
FIXED_GROUPS = (
    "iliopsoas hip-flexors gluteals deep-hip-rotators erector-spinae lumbar-extensors "
    "abdominals obliques hamstrings short-hip-adductors"
).split()
FIXED_BODY_STRUCTURES = "pelvis lumbar-spine lumbar-intervertebral-disc hip-joint".split()
ANATOMY_CLASSES = (
    LBP.Muscle, LBP.MuscleGroup, LBP.Bone, LBP.BonySite, LBP.SoftTissueSite, LBP.Nerve,
    LBP.SpinalSegment, LBP.BodyStructure, LBP.Action,
)


@pytest.fixture(scope="module")
def anatomy() -> Graph:
    return parse_rdf_file(ANATOMY_FILE)


@pytest.fixture(scope="module")
def graph(anatomy) -> Graph:
    merged = Graph()
    for path in (CORE_FILE, SOURCES_FILE):
        for triple in parse_rdf_file(path):
            merged.add(triple)
    for triple in anatomy:
        merged.add(triple)
    return merged


@pytest.fixture(scope="module")
def reference_iris() -> set[URIRef]:
    """Every UBERON/FMA identifier in terms.tsv's identifier columns, as an OBO PURL."""
    iris = set()
    with open(REFERENCE_DIR / "terms.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            for column in ("uberon_id", "fma_id", "other_id"):
                for curie in filter(None, (row[column] or "").split("|")):
                    prefix, _, local = curie.strip().partition(":")
                    if local.isdigit():
                        iris.add(OBO[f"{prefix}_{local}"])
    return iris


@pytest.fixture(scope="module")
def pages_read() -> dict[str, dict]:
    """The anatomy reference pages the curators read, by source name, from anatomy-pages-read.tsv."""
    with open(PAGES_READ_FILE, encoding="utf-8", newline="") as handle:
        return {row["source"]: row for row in csv.DictReader(handle, delimiter="\t")}


def lbp(name: str) -> URIRef:
    return LBP[name]


def terms(graph: Graph):
    """Every anatomy term: subjects typed by one of the anatomy classes."""
    return sorted({s for cls in ANATOMY_CLASSES for s in graph.subjects(RDF.type, cls)})


def objects(graph: Graph, subject: URIRef, predicate: URIRef) -> set:
    return set(graph.objects(subject, predicate))


def is_a(graph: Graph, node, cls: URIRef) -> bool:
    return (node, RDF.type, cls) in graph


def bones_of(graph: Graph, site: URIRef) -> set:
    return {whole for whole in graph.objects(site, PART_OF) if is_a(graph, whole, LBP.Bone)}


# --- module shape -------------------------------------------------------------------------

def test_module_declares_its_ontology_header(anatomy):
    header = URIRef("https://w3id.org/lbp-kg/ontology/anatomy")
    assert (header, RDF.type, OWL.Ontology) in anatomy
    assert anatomy.value(header, RDFS.label) is not None
    assert anatomy.value(header, DCTERMS.description) is not None


def test_every_fixed_muscle_is_a_named_muscle_individual(graph):
    for name in FIXED_MUSCLES:
        assert is_a(graph, lbp(name), LBP.Muscle), name
        assert is_a(graph, lbp(name), OWL.NamedIndividual), name


def test_every_fixed_muscle_group_and_body_structure_exists(graph):
    for name in FIXED_GROUPS:
        assert is_a(graph, lbp(name), LBP.MuscleGroup), name
    for name in FIXED_BODY_STRUCTURES:
        assert is_a(graph, lbp(name), LBP.BodyStructure), name
    assert is_a(graph, lbp("sciatic-nerve"), LBP.Nerve)


def test_every_anatomy_term_is_a_named_individual(graph):
    for term in terms(graph):
        assert is_a(graph, term, OWL.NamedIndividual), term


def test_every_anatomy_term_has_one_english_label_and_one_english_definition(graph):
    for term in terms(graph):
        labels = list(graph.objects(term, RDFS.label))
        definitions = list(graph.objects(term, DEFINITION))
        assert len(labels) == 1 and labels[0].language == "en", term
        assert len(definitions) == 1 and definitions[0].language == "en", term


def test_no_two_anatomy_terms_share_a_label(graph):
    labels = [str(graph.value(term, RDFS.label)) for term in terms(graph)]
    assert len(labels) == len(set(labels))


def test_every_lbp_iri_the_module_points_to_is_defined(graph, anatomy):
    for _, _, obj in anatomy:
        if isinstance(obj, URIRef) and obj.startswith(str(LBP)):
            assert graph.value(obj, RDF.type) is not None, obj


def test_synonyms_are_english_literals(anatomy):
    for predicate in (OBOINOWL.hasExactSynonym, OBOINOWL.hasRelatedSynonym):
        for _, _, synonym in anatomy.triples((None, predicate, None)):
            assert isinstance(synonym, Literal) and synonym.language == "en", synonym


# --- mappings and sources -----------------------------------------------------------------

def test_every_external_mapping_comes_from_the_reference_terms(anatomy, reference_iris):
    for predicate in (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch):
        for subject, _, iri in anatomy.triples((None, predicate, None)):
            assert iri in reference_iris, (subject, predicate, iri)


def test_muscles_map_to_the_uberon_and_fma_terms_the_reference_gives(graph):
    assert objects(graph, lbp("gluteus-medius"), SKOS.exactMatch) == {
        OBO.UBERON_0001371, OBO.FMA_22315}
    assert objects(graph, lbp("psoas-major"), SKOS.exactMatch) == {
        OBO.UBERON_0001298, OBO.FMA_18060}
    assert OBO.UBERON_0001999 in objects(graph, lbp("iliopsoas"), SKOS.exactMatch)
    assert OBO.UBERON_0002462 in objects(graph, lbp("erector-spinae"), SKOS.exactMatch)


def test_longissimus_and_iliocostalis_map_to_their_lumbar_relevant_parts(graph):
    assert OBO.UBERON_0001401 in objects(graph, lbp("longissimus"), SKOS.exactMatch)
    assert OBO.UBERON_0000392 not in objects(graph, lbp("longissimus"), SKOS.exactMatch)
    assert OBO.UBERON_0011207 in objects(graph, lbp("iliocostalis"), SKOS.exactMatch)
    assert OBO.UBERON_0002251 not in objects(graph, lbp("iliocostalis"), SKOS.exactMatch)


def test_multifidus_has_no_external_mapping_and_says_why(graph):
    for predicate in (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch):
        assert not objects(graph, lbp("multifidus"), predicate)
    assert "FMA:22827" in str(graph.value(lbp("multifidus"), SKOS.editorialNote))


def test_every_muscle_and_group_cites_source_records_not_bare_pages(graph):
    for term in list(graph.subjects(RDF.type, LBP.Muscle)) + list(graph.subjects(RDF.type, LBP.MuscleGroup)):
        for source in objects(graph, term, DCTERMS.source):
            assert is_a(graph, source, LBP.Source), (term, source)
    for name in FIXED_MUSCLES:
        assert objects(graph, lbp(name), DCTERMS.source), name


def test_every_anatomy_source_record_has_title_publisher_url_and_kind(graph):
    cited = {source for _, _, source in graph.triples((None, DCTERMS.source, None))
             if any(is_a(graph, s, cls) for s in graph.subjects(DCTERMS.source, source)
                    for cls in ANATOMY_CLASSES)}
    assert len(cited) > 40
    for source in cited:
        assert graph.value(source, DCTERMS.title) is not None, source
        assert graph.value(source, DCTERMS.publisher) or graph.value(source, DCTERMS.creator), source
        url = graph.value(source, DCTERMS.identifier)
        assert url is not None and str(url).startswith("http"), source
        assert graph.value(source, LBP.sourceKind) is not None, source


def test_every_anatomy_source_is_a_page_the_curators_read(graph, pages_read):
    for source in graph.subjects(LBP.sourceKind, LBP["source-kind-anatomy-reference"]):
        name = str(source).removeprefix(str(LBP))
        assert name in pages_read, name
        assert pages_read[name]["url"] == str(graph.value(source, DCTERMS.identifier)), name
        assert pages_read[name]["what_the_page_gives"].strip(), name


def test_no_anatomy_term_still_cites_a_bare_web_page(anatomy):
    assert [page for page in anatomy.objects(None, DCTERMS.source) if not str(page).startswith(str(LBP))] == []


# --- attachments ----------------------------------------------------------------------------

def test_every_muscle_has_a_bony_origin_and_a_bony_insertion(graph):
    for muscle in graph.subjects(RDF.type, LBP.Muscle):
        origins = objects(graph, muscle, HAS_ORIGIN)
        insertions = objects(graph, muscle, HAS_INSERTION)
        assert any(is_a(graph, site, LBP.BonySite) for site in origins), muscle
        assert any(is_a(graph, site, LBP.BonySite) for site in insertions), muscle


def test_every_attachment_is_a_bony_or_soft_tissue_site(graph):
    for predicate in (HAS_ORIGIN, HAS_INSERTION):
        for muscle, _, site in graph.triples((None, predicate, None)):
            assert is_a(graph, site, LBP.BonySite) != is_a(graph, site, LBP.SoftTissueSite), (
                muscle, site)


def test_every_bony_site_is_part_of_exactly_one_bone(graph):
    for site in graph.subjects(RDF.type, LBP.BonySite):
        assert len(bones_of(graph, site)) == 1, site


def test_gluteus_medius_inserts_on_the_greater_trochanter_of_the_femur(graph):
    assert (lbp("gluteus-medius"), HAS_INSERTION, lbp("greater-trochanter")) in graph
    assert bones_of(graph, lbp("greater-trochanter")) == {lbp("femur")}
    origin, = objects(graph, lbp("gluteus-medius"), HAS_ORIGIN)
    assert bones_of(graph, origin) == {lbp("ilium")}


def test_psoas_major_runs_from_the_lumbar_vertebrae_to_the_lesser_trochanter(graph):
    assert objects(graph, lbp("psoas-major"), HAS_INSERTION) == {lbp("lesser-trochanter")}
    assert (lbp("iliacus"), HAS_INSERTION, lbp("lesser-trochanter")) in graph
    assert (lbp("psoas-major"), HAS_ORIGIN, lbp("transverse-process-of-lumbar-vertebra")) in graph
    assert bones_of(graph, lbp("transverse-process-of-lumbar-vertebra")) == {lbp("lumbar-vertebra")}


def test_quadratus_lumborum_spans_iliac_crest_to_twelfth_rib_and_lumbar_processes(graph):
    assert (lbp("quadratus-lumborum"), HAS_ORIGIN, lbp("iliac-crest")) in graph
    assert objects(graph, lbp("quadratus-lumborum"), HAS_INSERTION) == {
        lbp("inferior-border-of-twelfth-rib"), lbp("transverse-process-of-lumbar-vertebra")}
    assert bones_of(graph, lbp("inferior-border-of-twelfth-rib")) == {lbp("twelfth-rib")}


def test_gemelli_insert_through_the_obturator_internus_tendon(graph):
    for gemellus in ("superior-gemellus", "inferior-gemellus"):
        assert (lbp(gemellus), HAS_INSERTION, lbp("tendon-of-obturator-internus")) in graph
    assert is_a(graph, lbp("tendon-of-obturator-internus"), LBP.SoftTissueSite)
    assert (lbp("superior-gemellus"), HAS_ORIGIN, lbp("ischial-spine")) in graph
    assert (lbp("inferior-gemellus"), HAS_ORIGIN, lbp("ischial-tuberosity")) in graph


def test_hamstrings_arise_from_the_ischial_tuberosity(graph):
    for member in graph.objects(lbp("hamstrings"), LBP.hasMember):
        assert (member, HAS_ORIGIN, lbp("ischial-tuberosity")) in graph, member
    assert bones_of(graph, lbp("ischial-tuberosity")) == {lbp("ischium")}


def test_bones_nest_into_the_hip_bone_and_vertebral_column(graph):
    for part in ("ilium", "ischium", "pubis"):
        assert (lbp(part), PART_OF, lbp("hip-bone")) in graph
    assert (lbp("lumbar-vertebra"), PART_OF, lbp("lumbar-spine")) in graph
    assert (lbp("lumbar-spine"), PART_OF, lbp("vertebral-column")) in graph
    assert (lbp("lumbar-intervertebral-disc"), PART_OF, lbp("lumbar-spine")) in graph


# --- innervation ----------------------------------------------------------------------------

def test_every_muscle_is_innervated_by_at_least_one_nerve(graph):
    for muscle in graph.subjects(RDF.type, LBP.Muscle):
        nerves = objects(graph, muscle, INNERVATED_BY)
        assert nerves and all(is_a(graph, n, LBP.Nerve) for n in nerves), muscle


def test_every_muscle_states_its_spinal_levels_as_the_sources_give_them(graph):
    for muscle in graph.subjects(RDF.type, LBP.Muscle):
        assert graph.value(muscle, LBP.spinalLevelNote) is not None, muscle
        for level in graph.objects(muscle, LBP.hasSegmentalInnervation):
            assert is_a(graph, level, LBP.SpinalSegment), (muscle, level)


def test_psoas_major_is_supplied_by_the_lumbar_plexus_from_l1_to_l3(graph):
    assert objects(graph, lbp("psoas-major"), INNERVATED_BY) == {lbp("lumbar-plexus")}
    assert objects(graph, lbp("psoas-major"), LBP.hasSegmentalInnervation) == {
        lbp("spinal-level-L1"), lbp("spinal-level-L2"), lbp("spinal-level-L3")}


def test_gluteus_medius_is_supplied_by_the_superior_gluteal_nerve_from_l4_to_s1(graph):
    assert objects(graph, lbp("gluteus-medius"), INNERVATED_BY) == {lbp("superior-gluteal-nerve")}
    assert objects(graph, lbp("gluteus-medius"), LBP.hasSegmentalInnervation) == {
        lbp("spinal-level-L4"), lbp("spinal-level-L5"), lbp("spinal-level-S1")}


def test_gluteus_maximus_is_supplied_by_the_inferior_gluteal_nerve(graph):
    assert objects(graph, lbp("gluteus-maximus"), INNERVATED_BY) == {lbp("inferior-gluteal-nerve")}


def test_superior_gemellus_follows_the_anatomy_texts_not_uberon_on_its_nerve(graph):
    nerves = objects(graph, lbp("superior-gemellus"), INNERVATED_BY)
    assert nerves == {lbp("nerve-to-obturator-internus")}
    assert lbp("obturator-nerve") not in nerves
    assert "obturator nerve" in str(graph.value(lbp("superior-gemellus"), LBP.spinalLevelNote))


def test_quadratus_lumborum_levels_follow_the_modern_reference_and_record_the_1918_variant(graph):
    assert objects(graph, lbp("quadratus-lumborum"), LBP.hasSegmentalInnervation) == {
        lbp("spinal-level-T12"), lbp("spinal-level-L1"), lbp("spinal-level-L2"),
        lbp("spinal-level-L3"), lbp("spinal-level-L4")}
    note = str(graph.value(lbp("quadratus-lumborum"), LBP.spinalLevelNote))
    assert "Elsevier" in note and "1918" in note


def test_hamstrings_are_supplied_through_the_sciatic_nerve(graph):
    for member in graph.objects(lbp("hamstrings"), LBP.hasMember):
        assert (member, INNERVATED_BY, lbp("sciatic-nerve")) in graph, member
    assert (lbp("biceps-femoris"), INNERVATED_BY, lbp("common-fibular-nerve")) in graph
    assert (lbp("tibial-nerve"), PART_OF, lbp("sciatic-nerve")) in graph


def test_sciatic_nerve_maps_to_uberon(graph):
    assert OBO.UBERON_0001322 in objects(graph, lbp("sciatic-nerve"), SKOS.exactMatch)


# --- actions and antagonists ------------------------------------------------------------------

def test_every_muscle_has_a_primary_action_that_is_a_defined_action(graph):
    for muscle in graph.subjects(RDF.type, LBP.Muscle):
        actions = objects(graph, muscle, LBP.hasPrimaryAction)
        assert actions and all(is_a(graph, a, LBP.Action) for a in actions), muscle


def test_textbook_primary_actions(graph):
    def acts(muscle, action):
        return (lbp(muscle), LBP.hasPrimaryAction, lbp(action)) in graph

    assert acts("psoas-major", "hip-flexion")
    assert acts("gluteus-medius", "hip-abduction") and acts("gluteus-medius", "pelvic-stabilisation")
    assert acts("gluteus-maximus", "hip-extension")
    assert acts("quadratus-lumborum", "hip-hiking")
    assert acts("piriformis", "hip-lateral-rotation")
    assert acts("multifidus", "segmental-spinal-stabilisation")
    assert acts("rectus-femoris", "knee-extension") and acts("rectus-femoris", "hip-flexion")
    assert not acts("iliacus", "hip-lateral-rotation") and not acts("iliacus", "hip-medial-rotation")


def test_antagonists_are_only_those_the_reference_states(graph):
    pairs = set(graph.subject_objects(HAS_ANTAGONIST))
    assert pairs == {
        (lbp("iliacus"), lbp("gluteus-maximus")),
        (lbp("rectus-femoris"), lbp("biceps-femoris")),
        (lbp("rectus-femoris"), lbp("semitendinosus")),
        (lbp("rectus-femoris"), lbp("semimembranosus")),
    }


# --- groups -----------------------------------------------------------------------------------

def test_group_membership_is_asserted_in_both_directions(graph):
    member_of = set(graph.subject_objects(LBP.memberOf))
    has_member = {(member, group) for group, member in graph.subject_objects(LBP.hasMember)}
    assert member_of == has_member
    assert member_of


def test_every_muscle_belongs_to_a_group_except_quadratus_lumborum(graph):
    ungrouped = {m for m in graph.subjects(RDF.type, LBP.Muscle)
                 if graph.value(m, LBP.memberOf) is None}
    assert ungrouped == {lbp("quadratus-lumborum")}


@pytest.mark.parametrize("group, members", [
    ("iliopsoas", {"psoas-major", "iliacus"}),
    ("hip-flexors", {"iliopsoas", "rectus-femoris", "tensor-fasciae-latae"}),
    ("gluteals", {"gluteus-maximus", "gluteus-medius", "gluteus-minimus"}),
    ("deep-hip-rotators", {"piriformis", "obturator-internus", "superior-gemellus",
                           "inferior-gemellus", "quadratus-femoris", "obturator-externus"}),
    ("erector-spinae", {"longissimus", "iliocostalis"}),
    # only the lumbar parts of longissimus and iliocostalis; the whole erector spinae reaches the skull
    ("lumbar-extensors", {"longissimus", "iliocostalis", "multifidus"}),
    ("abdominals", {"rectus-abdominis", "transversus-abdominis", "obliques"}),
    ("obliques", {"external-oblique", "internal-oblique"}),
    ("hamstrings", {"biceps-femoris", "semitendinosus", "semimembranosus"}),
    ("short-hip-adductors", {"adductor-longus", "adductor-brevis", "pectineus"}),
])
def test_muscle_groups_have_their_textbook_members(graph, group, members):
    assert objects(graph, lbp(group), LBP.hasMember) == {lbp(m) for m in members}


def test_psoas_major_reaches_the_hip_flexors_through_the_iliopsoas(graph):
    query = """
        PREFIX lbp: <https://w3id.org/lbp-kg/id/>
        ASK { lbp:psoas-major lbp:memberOf+ lbp:hip-flexors }
    """
    assert graph.query(query).askAnswer


# --- body structures and levels ---------------------------------------------------------------

def test_body_structures_map_only_where_the_reference_has_an_identifier(graph):
    assert OBO.UBERON_0002355 in objects(graph, lbp("pelvis"), SKOS.exactMatch)
    assert OBO.UBERON_0007255 in objects(graph, lbp("lumbar-intervertebral-disc"), SKOS.exactMatch)
    assert not objects(graph, lbp("hip-joint"), SKOS.exactMatch)
    assert not objects(graph, lbp("lumbar-spine"), SKOS.exactMatch)


def test_spinal_levels_run_from_t7_to_s3(graph):
    expected = ([f"T{n}" for n in range(7, 13)] + [f"L{n}" for n in range(1, 6)]
                + [f"S{n}" for n in range(1, 4)])
    levels = set(graph.subjects(RDF.type, LBP.SpinalSegment))
    assert levels == {lbp(f"spinal-level-{name}") for name in expected}
    assert str(graph.value(lbp("spinal-level-L4"), RDFS.label)) == "L4 spinal nerve level"
