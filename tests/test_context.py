"""The JSON-LD context: its meaning is pinned, so changing what a term means is always deliberate.

Apps store documents compacted with https://w3id.org/lbp-kg/context.jsonld; if a term's expansion
changed, their data would silently change meaning. Within a major version terms may be added
(add them to PINNED_TERMS too) but never changed or removed.
"""
from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.plugins.shared.jsonld.context import Context

from service.paths import CONTEXT_FILE
from service.kg.rdf_files import parse_rdf_bytes

LBP = "https://w3id.org/lbp-kg/id/"
OBO = "http://purl.obolibrary.org/obo/"

PINNED_PREFIXES = {
    "lbp": "https://w3id.org/lbp-kg/id/",
    "obo": "http://purl.obolibrary.org/obo/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
}

#: term -> (expanded IRI, value type coercion, language), as a JSON-LD 1.1 processor reads them
PINNED_TERMS = {
    "id": ("@id", None, None),
    "type": ("@type", None, None),
    "label": ("http://www.w3.org/2000/01/rdf-schema#label", None, "en"),
    "definition": ("http://purl.obolibrary.org/obo/IAO_0000115", None, "en"),
    "comment": ("http://www.w3.org/2000/01/rdf-schema#comment", None, "en"),
    "exactSynonym": ("http://www.geneontology.org/formats/oboInOwl#hasExactSynonym", None, "en"),
    "relatedSynonym": ("http://www.geneontology.org/formats/oboInOwl#hasRelatedSynonym", None, "en"),
    "narrowSynonym": ("http://www.geneontology.org/formats/oboInOwl#hasNarrowSynonym", None, "en"),
    "broadSynonym": ("http://www.geneontology.org/formats/oboInOwl#hasBroadSynonym", None, "en"),
    "exactMatch": ("http://www.w3.org/2004/02/skos/core#exactMatch", "@id", None),
    "closeMatch": ("http://www.w3.org/2004/02/skos/core#closeMatch", "@id", None),
    "relatedMatch": ("http://www.w3.org/2004/02/skos/core#relatedMatch", "@id", None),
    "broadMatch": ("http://www.w3.org/2004/02/skos/core#broadMatch", "@id", None),
    "narrowMatch": ("http://www.w3.org/2004/02/skos/core#narrowMatch", "@id", None),
    "note": ("http://www.w3.org/2004/02/skos/core#note", None, "en"),
    "editorialNote": ("http://www.w3.org/2004/02/skos/core#editorialNote", None, "en"),
    "seeAlso": ("http://www.w3.org/2000/01/rdf-schema#seeAlso", "@id", None),
    "title": ("http://purl.org/dc/terms/title", None, "en"),
    "description": ("http://purl.org/dc/terms/description", None, "en"),
    "creator": ("http://purl.org/dc/terms/creator", None, None),
    "contributor": ("http://purl.org/dc/terms/contributor", None, None),
    "publisher": ("http://purl.org/dc/terms/publisher", None, None),
    "license": ("http://purl.org/dc/terms/license", "@id", None),
    "issued": ("http://purl.org/dc/terms/issued", "http://www.w3.org/2001/XMLSchema#date", None),
    "bibliographicCitation": ("http://purl.org/dc/terms/bibliographicCitation", None, None),
    "source": ("http://purl.org/dc/terms/source", "@id", None),
    "sourceSection": ("https://w3id.org/lbp-kg/id/sourceSection", None, None),
    "evidenceNote": ("https://w3id.org/lbp-kg/id/evidenceNote", None, "en"),
    "Axiom": ("http://www.w3.org/2002/07/owl#Axiom", None, None),
    "annotatedSource": ("http://www.w3.org/2002/07/owl#annotatedSource", "@id", None),
    "annotatedProperty": ("http://www.w3.org/2002/07/owl#annotatedProperty", "@id", None),
    "annotatedTarget": ("http://www.w3.org/2002/07/owl#annotatedTarget", "@id", None),
    "Ontology": ("http://www.w3.org/2002/07/owl#Ontology", None, None),
    "Class": ("http://www.w3.org/2002/07/owl#Class", None, None),
    "ObjectProperty": ("http://www.w3.org/2002/07/owl#ObjectProperty", None, None),
    "DatatypeProperty": ("http://www.w3.org/2002/07/owl#DatatypeProperty", None, None),
    "AnnotationProperty": ("http://www.w3.org/2002/07/owl#AnnotationProperty", None, None),
    "NamedIndividual": ("http://www.w3.org/2002/07/owl#NamedIndividual", None, None),
    "versionInfo": ("http://www.w3.org/2002/07/owl#versionInfo", None, None),
    "versionIRI": ("http://www.w3.org/2002/07/owl#versionIRI", "@id", None),
    "imports": ("http://www.w3.org/2002/07/owl#imports", "@id", None),
    "subClassOf": ("http://www.w3.org/2000/01/rdf-schema#subClassOf", "@id", None),
    "subPropertyOf": ("http://www.w3.org/2000/01/rdf-schema#subPropertyOf", "@id", None),
    "equivalentClass": ("http://www.w3.org/2002/07/owl#equivalentClass", "@id", None),
    "inverseOf": ("http://www.w3.org/2002/07/owl#inverseOf", "@id", None),
    "domain": ("http://www.w3.org/2000/01/rdf-schema#domain", "@id", None),
    "range": ("http://www.w3.org/2000/01/rdf-schema#range", "@id", None),
    "AnatomicalEntity": ("https://w3id.org/lbp-kg/id/AnatomicalEntity", None, None),
    "Muscle": ("https://w3id.org/lbp-kg/id/Muscle", None, None),
    "MuscleGroup": ("https://w3id.org/lbp-kg/id/MuscleGroup", None, None),
    "Bone": ("https://w3id.org/lbp-kg/id/Bone", None, None),
    "AttachmentSite": ("https://w3id.org/lbp-kg/id/AttachmentSite", None, None),
    "BonySite": ("https://w3id.org/lbp-kg/id/BonySite", None, None),
    "SoftTissueSite": ("https://w3id.org/lbp-kg/id/SoftTissueSite", None, None),
    "Nerve": ("https://w3id.org/lbp-kg/id/Nerve", None, None),
    "SpinalSegment": ("https://w3id.org/lbp-kg/id/SpinalSegment", None, None),
    "BodyStructure": ("https://w3id.org/lbp-kg/id/BodyStructure", None, None),
    "MotorPoint": ("https://w3id.org/lbp-kg/id/MotorPoint", None, None),
    "Action": ("https://w3id.org/lbp-kg/id/Action", None, None),
    "ClinicalEntity": ("https://w3id.org/lbp-kg/id/ClinicalEntity", None, None),
    "RiskFactor": ("https://w3id.org/lbp-kg/id/RiskFactor", None, None),
    "RelievingFactor": ("https://w3id.org/lbp-kg/id/RelievingFactor", None, None),
    "Posture": ("https://w3id.org/lbp-kg/id/Posture", None, None),
    "DysfunctionState": ("https://w3id.org/lbp-kg/id/DysfunctionState", None, None),
    "TightState": ("https://w3id.org/lbp-kg/id/TightState", None, None),
    "InhibitedState": ("https://w3id.org/lbp-kg/id/InhibitedState", None, None),
    "OverloadedState": ("https://w3id.org/lbp-kg/id/OverloadedState", None, None),
    "GuardingState": ("https://w3id.org/lbp-kg/id/GuardingState", None, None),
    "TissueState": ("https://w3id.org/lbp-kg/id/TissueState", None, None),
    "ClinicalFeature": ("https://w3id.org/lbp-kg/id/ClinicalFeature", None, None),
    "Symptom": ("https://w3id.org/lbp-kg/id/Symptom", None, None),
    "ClinicalSign": ("https://w3id.org/lbp-kg/id/ClinicalSign", None, None),
    "RedFlag": ("https://w3id.org/lbp-kg/id/RedFlag", None, None),
    "Condition": ("https://w3id.org/lbp-kg/id/Condition", None, None),
    "Assessment": ("https://w3id.org/lbp-kg/id/Assessment", None, None),
    "Treatment": ("https://w3id.org/lbp-kg/id/Treatment", None, None),
    "TreatmentTarget": ("https://w3id.org/lbp-kg/id/TreatmentTarget", None, None),
    "TreatmentProtocol": ("https://w3id.org/lbp-kg/id/TreatmentProtocol", None, None),
    "Prognosis": ("https://w3id.org/lbp-kg/id/Prognosis", None, None),
    "PatternDuration": ("https://w3id.org/lbp-kg/id/PatternDuration", None, None),
    "Source": ("https://w3id.org/lbp-kg/id/Source", None, None),
    "SourceKind": ("https://w3id.org/lbp-kg/id/SourceKind", None, None),
    "EvidenceStatement": ("https://w3id.org/lbp-kg/id/EvidenceStatement", None, None),
    "Stance": ("https://w3id.org/lbp-kg/id/Stance", None, None),
    "partOf": ("http://purl.obolibrary.org/obo/BFO_0000050", "@id", None),
    "hasPart": ("http://purl.obolibrary.org/obo/BFO_0000051", "@id", None),
    "attachedTo": ("http://purl.obolibrary.org/obo/RO_0002371", "@id", None),
    "hasOrigin": ("http://purl.obolibrary.org/obo/RO_0002372", "@id", None),
    "hasInsertion": ("http://purl.obolibrary.org/obo/RO_0002373", "@id", None),
    "innervatedBy": ("http://purl.obolibrary.org/obo/RO_0002005", "@id", None),
    "innervates": ("http://purl.obolibrary.org/obo/RO_0002134", "@id", None),
    "hasAntagonist": ("http://purl.obolibrary.org/obo/RO_0002568", "@id", None),
    "capableOf": ("http://purl.obolibrary.org/obo/RO_0002215", "@id", None),
    "causallyUpstreamOf": ("http://purl.obolibrary.org/obo/RO_0002411", "@id", None),
    "hasSymptom": ("http://purl.obolibrary.org/obo/RO_0002452", "@id", None),
    "hasFeature": ("http://purl.obolibrary.org/obo/RO_0004029", "@id", None),
    "causesOrContributesToCondition": ("http://purl.obolibrary.org/obo/RO_0003302", "@id", None),
    "causesCondition": ("http://purl.obolibrary.org/obo/RO_0003303", "@id", None),
    "contributesToCondition": ("http://purl.obolibrary.org/obo/RO_0003304", "@id", None),
    "releasesMoreThan": ("https://w3id.org/lbp-kg/id/releasesMoreThan", "@id", None),
    "appliedAt": ("https://w3id.org/lbp-kg/id/appliedAt", "@id", None),
    "evidenceCode": ("https://w3id.org/lbp-kg/id/evidenceCode", "@id", None),
    "hedge": ("https://w3id.org/lbp-kg/id/hedge", None, "en"),
    "emphasisRank": ("https://w3id.org/lbp-kg/id/emphasisRank", "http://www.w3.org/2001/XMLSchema#positiveInteger", None),
    "weighedBy": ("https://w3id.org/lbp-kg/id/weighedBy", "@id", None),
    "stance": ("https://w3id.org/lbp-kg/id/stance", "@id", None),
    "certainty": ("https://w3id.org/lbp-kg/id/certainty", None, "en"),
    "sourceKind": ("https://w3id.org/lbp-kg/id/sourceKind", "@id", None),
    "identifier": ("http://purl.org/dc/terms/identifier", "http://www.w3.org/2001/XMLSchema#anyURI", None),
    "hasSegmentalInnervation": ("https://w3id.org/lbp-kg/id/hasSegmentalInnervation", "@id", None),
    "hasPrimaryAction": ("https://w3id.org/lbp-kg/id/hasPrimaryAction", "@id", None),
    "memberOf": ("https://w3id.org/lbp-kg/id/memberOf", "@id", None),
    "hasMember": ("https://w3id.org/lbp-kg/id/hasMember", "@id", None),
    "stateOf": ("https://w3id.org/lbp-kg/id/stateOf", "@id", None),
    "causes": ("https://w3id.org/lbp-kg/id/causes", "@id", None),
    "inhibits": ("https://w3id.org/lbp-kg/id/inhibits", "@id", None),
    "overloads": ("https://w3id.org/lbp-kg/id/overloads", "@id", None),
    "contributesTo": ("https://w3id.org/lbp-kg/id/contributesTo", "@id", None),
    "isDirectSourceOf": ("https://w3id.org/lbp-kg/id/isDirectSourceOf", "@id", None),
    "indicates": ("https://w3id.org/lbp-kg/id/indicates", "@id", None),
    "aggravatedBy": ("https://w3id.org/lbp-kg/id/aggravatedBy", "@id", None),
    "relievedBy": ("https://w3id.org/lbp-kg/id/relievedBy", "@id", None),
    "appliesTo": ("https://w3id.org/lbp-kg/id/appliesTo", "@id", None),
    "examines": ("https://w3id.org/lbp-kg/id/examines", "@id", None),
    "hasPossibleFinding": ("https://w3id.org/lbp-kg/id/hasPossibleFinding", "@id", None),
    "treats": ("https://w3id.org/lbp-kg/id/treats", "@id", None),
    "forCondition": ("https://w3id.org/lbp-kg/id/forCondition", "@id", None),
    "forDuration": ("https://w3id.org/lbp-kg/id/forDuration", "@id", None),
    "targetMuscle": ("https://w3id.org/lbp-kg/id/targetMuscle", "@id", None),
    "usesTreatment": ("https://w3id.org/lbp-kg/id/usesTreatment", "@id", None),
    "atMotorPoint": ("https://w3id.org/lbp-kg/id/atMotorPoint", "@id", None),
    "motorPointOf": ("https://w3id.org/lbp-kg/id/motorPointOf", "@id", None),
    "hasProtocol": ("https://w3id.org/lbp-kg/id/hasProtocol", "@id", None),
    "involves": ("https://w3id.org/lbp-kg/id/involves", "@id", None),
    "treatmentPriority": ("https://w3id.org/lbp-kg/id/treatmentPriority", "http://www.w3.org/2001/XMLSchema#positiveInteger", None),
    "indicationNote": ("https://w3id.org/lbp-kg/id/indicationNote", None, None),
    "referralNote": ("https://w3id.org/lbp-kg/id/referralNote", None, None),
    "locationDescription": ("https://w3id.org/lbp-kg/id/locationDescription", None, None),
    "spinalLevelNote": ("https://w3id.org/lbp-kg/id/spinalLevelNote", None, None),
}


@pytest.fixture(scope="module")
def context_document() -> dict:
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def processed(context_document) -> Context:
    return Context(context_document)


def test_the_context_is_json_ld_1_1(context_document):
    assert context_document["@context"]["@version"] == 1.1


def test_prefixes_are_pinned(context_document):
    inner = context_document["@context"]
    assert {name: inner[name] for name in PINNED_PREFIXES} == PINNED_PREFIXES


def test_no_term_is_added_or_removed_without_pinning_it(context_document):
    inner = context_document["@context"]
    terms = {name for name in inner if not name.startswith("@") and name not in PINNED_PREFIXES}
    assert terms == set(PINNED_TERMS)


@pytest.mark.parametrize("term", sorted(PINNED_TERMS))
def test_every_term_expands_as_pinned(processed, term):
    definition = processed.terms[term]
    expected_iri, expected_type, expected_language = PINNED_TERMS[term]
    assert (definition.id, definition.type or None, definition.language or None) == (
        expected_iri, expected_type, expected_language)


def test_the_readable_relation_names_mean_the_reused_ro_and_bfo_relations(processed):
    assert processed.terms["hasOrigin"].id == OBO + "RO_0002372"
    assert processed.terms["hasInsertion"].id == OBO + "RO_0002373"
    assert processed.terms["innervatedBy"].id == OBO + "RO_0002005"
    assert processed.terms["partOf"].id == OBO + "BFO_0000050"


def test_every_lbp_class_and_property_and_every_reused_relation_has_a_term(kb, processed):
    termed = {definition.id for definition in processed.terms.values()}
    declared = {
        str(subject)
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for subject in kb.graph.subjects(RDF.type, kind)
        if isinstance(subject, URIRef) and str(subject).startswith(LBP)
    }
    declared |= {str(s) for s in kb.graph.subjects(RDF.type, OWL.ObjectProperty) if str(s).startswith(OBO)}
    assert declared, "the ontology declares classes and properties"
    assert sorted(declared - termed) == []


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib 7.6 parser
def test_a_document_using_the_context_reads_as_the_triples_it_means():
    document = {
        "@context": "https://w3id.org/lbp-kg/context.jsonld",
        "id": "lbp:gluteus-medius",
        "type": "Muscle",
        "label": "gluteus medius",
        "hasInsertion": "lbp:greater-trochanter",
        "exactMatch": "obo:UBERON_0001371",
    }
    graph = parse_rdf_bytes(json.dumps(document).encode(), "application/ld+json")
    muscle = URIRef(LBP + "gluteus-medius")
    expected = Graph()
    expected.add((muscle, RDF.type, URIRef(LBP + "Muscle")))
    expected.add((muscle, RDFS.label, Literal("gluteus medius", lang="en")))
    expected.add((muscle, URIRef(OBO + "RO_0002373"), URIRef(LBP + "greater-trochanter")))
    expected.add((muscle, URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"), URIRef(OBO + "UBERON_0001371")))
    assert set(graph) == set(expected)


def test_the_served_context_is_the_file_with_open_cors(client):
    response = client.get("/context.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.data == CONTEXT_FILE.read_bytes()
