"""Protégé's route: the OWL API loads the header and each module on its own through the catalog.

Loaded this way every relation between individuals must come out as an object property assertion
(not an annotation) with no OWL 2 DL profile violation, and nothing may be fetched.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from rdflib import OWL, RDF, URIRef

from service.kg.rdf_files import parse_rdf_file
from service.paths import CATALOG_FILE, ONTOLOGY_DIR, ONTOLOGY_HEADER

#: each test loads the ontology in the OWL API under Java (seconds each)
pytestmark = pytest.mark.slow

MODULES = sorted((ONTOLOGY_DIR / "modules").glob("*.ttl"))
CORE = "https://w3id.org/lbp-kg/ontology/core"


def catalog_entries() -> dict[str, str]:
    root = ET.parse(CATALOG_FILE).getroot()
    return {entry.attrib["name"]: entry.attrib["uri"]
            for entry in root.iter("{urn:oasis:names:tc:entity:xmlns:xml:catalog}uri")}


def object_property_triples(graph) -> set[tuple[str, str, str]]:
    """The relations between named individuals, written as the OWL API prints them."""
    properties = set(graph.subjects(RDF.type, OWL.ObjectProperty))
    return {(f"<{s}>", f"<{p}>", f"<{o}>") for s, p, o in graph
            if p in properties and isinstance(s, URIRef) and isinstance(o, URIRef)}


def test_the_header_loads_with_every_relation_typed_and_no_profile_violation(owlapi, modules_graph):
    report = owlapi(ONTOLOGY_HEADER, CATALOG_FILE)
    assert report.violations == [] and report.count("profile_violations") == 0
    assert report.missing_imports == []
    assert report.count("ontologies") == 1 + len(MODULES)
    expected = object_property_triples(modules_graph)
    assert len(expected) > 500
    assert report.assertions == expected


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.stem)
def test_each_module_loads_on_its_own(owlapi, module):
    report = owlapi(module, CATALOG_FILE)
    assert report.violations == [], report.violations[:5]
    assert report.missing_imports == []
    assert report.facts["version_iri"].endswith(f"/{module.stem}")
    graph = parse_rdf_file(module)
    # every relation this module states is typed when the module is opened alone
    assert object_property_triples(graph) <= report.assertions


def test_every_module_has_a_version_iri_and_imports_core():
    header = parse_rdf_file(ONTOLOGY_HEADER)
    header_version = str(next(header.objects(None, OWL.versionInfo)))
    for module in MODULES:
        graph = parse_rdf_file(module)
        iri = URIRef(f"https://w3id.org/lbp-kg/ontology/{module.stem}")
        assert (iri, RDF.type, OWL.Ontology) in graph
        assert graph.value(iri, OWL.versionIRI) == URIRef(
            f"https://w3id.org/lbp-kg/ontology/{header_version}/{module.stem}")
        if module.stem != "core":
            assert (iri, OWL.imports, URIRef(CORE)) in graph, module.name


def test_the_catalog_maps_every_ontology_iri_version_iri_and_import_to_its_file():
    entries = catalog_entries()
    for path in [ONTOLOGY_HEADER, *MODULES]:
        graph = parse_rdf_file(path)
        relative = path.relative_to(ONTOLOGY_DIR).as_posix()
        for ontology in graph.subjects(RDF.type, OWL.Ontology):
            assert entries.get(str(ontology)) == relative
            for version in graph.objects(ontology, OWL.versionIRI):
                assert entries.get(str(version)) == relative, version
            for imported in graph.objects(ontology, OWL.imports):
                assert (ONTOLOGY_DIR / entries[str(imported)]).is_file(), imported
