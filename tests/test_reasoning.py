"""HermiT, run through owlready2, reports consistency, unsatisfiable classes and inferences."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from service.paths import ONTOLOGY_DIR
from service.kg.rdf_files import parse_rdf_file
from service.curation.reasoning import (JAVA_INSTALL_HINT, JavaNotFoundError, inferred_graph, reason,
                               without_imports)
from service.curation.validation import merge_graphs

#: each test runs HermiT (seconds each)
pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "shapes"
VOCABULARY = [ONTOLOGY_DIR / "modules" / "core.ttl", ONTOLOGY_DIR / "modules" / "sources.ttl"]
LBP = "https://w3id.org/lbp-kg/id/"
OBO = "http://purl.obolibrary.org/obo/"

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime")


def graph_of(*extra: Path) -> Graph:
    return merge_graphs(parse_rdf_file(path) for path in [*VOCABULARY, *extra])


@needs_java
def test_a_small_well_formed_graph_is_consistent_with_no_unsatisfiable_classes():
    result = reason(graph_of(DATA / "valid-example.ttl"))
    assert result.consistent
    assert result.unsatisfiable_classes == []
    assert result.ok
    assert len(result.inferred) > 0, "HermiT adds at least the inverse and super-property values"
    assert result.describe().startswith("HermiT found the ontology consistent with no unsatisfiable")
    assert f"({len(result.inferred)} inferred triples," in result.describe()


@needs_java
def test_inferences_include_inverse_and_super_property_values():
    asserted = graph_of(DATA / "valid-example.ttl")
    result = reason(asserted)
    # motorPointOf is a sub-property of part of, whose inverse is has part
    assert (URIRef(LBP + "gluteus-medius"), URIRef(OBO + "BFO_0000051"),
            URIRef(LBP + "gluteus-medius-motor-point")) in result.inferred
    combined = inferred_graph(asserted, result)
    assert len(combined) == len(asserted) + len(result.inferred)


@needs_java
def test_an_individual_in_two_disjoint_classes_makes_the_ontology_inconsistent():
    result = reason(graph_of(DATA / "reasoning" / "individual-in-disjoint-classes.ttl"))
    assert not result.consistent
    assert not result.ok
    assert "lbp:example-muscle-nerve" in result.explanation
    assert "INCONSISTENT" in result.describe()


@needs_java
def test_a_class_disjoint_with_its_own_parent_is_reported_unsatisfiable():
    result = reason(graph_of(DATA / "reasoning" / "class-disjoint-with-its-parent.ttl"))
    assert result.consistent
    assert result.unsatisfiable_classes == [LBP + "ExampleImpossibleState"]
    assert LBP + "ExampleImpossibleState" in result.describe()


def test_missing_java_raises_an_error_that_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(JavaNotFoundError) as caught:
        reason(graph_of())
    assert JAVA_INSTALL_HINT in str(caught.value)


def test_imports_are_stripped_before_reasoning_so_nothing_is_fetched():
    header = parse_rdf_file(ONTOLOGY_DIR / "lbp.ttl")
    assert any(True for _ in header.triples((None, URIRef("http://www.w3.org/2002/07/owl#imports"), None)))
    stripped = without_imports(header)
    assert not any(True for _ in stripped.triples((None, URIRef("http://www.w3.org/2002/07/owl#imports"), None)))
    assert len(stripped) < len(header)


@needs_java
def test_the_shipped_ontology_is_consistent_with_no_unsatisfiable_classes():
    from service.kg.ontology import load_ontology

    result = reason(load_ontology())
    assert result.consistent, result.explanation
    assert result.unsatisfiable_classes == []
