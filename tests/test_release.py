"""`lbp-kg release`: each artefact loads in a reader that is not ours.

OWL (full and base) in the OWL API, Turtle in rdflib, OBO Graphs JSON against the JSON schema of
the obographs model, OBO 1.4 in fastobo.
"""
from __future__ import annotations

import json

import fastobo
import jsonschema
import obographs
import pytest
from rdflib import OWL, RDF, Graph, URIRef

from service.cli import main
from service.kg.vocabulary import LBP

#: the module builds a release: every artefact, reasoned (seconds)
pytestmark = pytest.mark.slow

VERSION = "0.2.0"
FULL_IRI = "https://w3id.org/lbp-kg/ontology"


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory):
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("release") / VERSION
    result = CliRunner().invoke(main, ["release", "--version", VERSION, "--output", str(out)])
    assert result.exit_code == 0, result.output
    return out


def relations(graph: Graph) -> set[tuple[str, str, str]]:
    properties = set(graph.subjects(RDF.type, OWL.ObjectProperty))
    return {(f"<{s}>", f"<{p}>", f"<{o}>") for s, p, o in graph
            if p in properties and isinstance(s, URIRef) and isinstance(o, URIRef)}


def test_the_release_writes_every_artefact(release_dir):
    assert sorted(p.name for p in release_dir.iterdir()) == [
        "lbp-kg-base.owl", "lbp-kg.json", "lbp-kg.obo", "lbp-kg.owl", "lbp-kg.ttl"]


def test_the_full_release_is_one_dl_ontology_with_every_relation_and_the_inferences(owlapi, release_dir,
                                                                                    modules_graph):
    report = owlapi(release_dir / "lbp-kg.owl")
    assert report.violations == []
    assert report.facts["ontology_iri"] == FULL_IRI
    assert report.facts["version_iri"] == f"{FULL_IRI}/{VERSION}"
    assert report.count("ontologies") == 1 and report.count("imports_declared") == 0
    asserted = relations(modules_graph)
    assert asserted < report.assertions  # every stated relation typed, plus HermiT's inferred ones


def test_the_turtle_release_has_one_header_and_no_imports(release_dir):
    graph = Graph().parse(release_dir / "lbp-kg.ttl", format="turtle")
    assert list(graph.subjects(RDF.type, OWL.Ontology)) == [URIRef(FULL_IRI)]
    assert graph.value(URIRef(FULL_IRI), OWL.versionIRI) == URIRef(f"{FULL_IRI}/{VERSION}")
    assert not list(graph.triples((None, OWL.imports, None)))
    owl = Graph().parse(release_dir / "lbp-kg.owl", format="xml")
    assert len(owl) == len(graph)


def test_the_base_release_holds_only_our_own_axioms_and_stays_dl(owlapi, release_dir, modules_graph):
    report = owlapi(release_dir / "lbp-kg-base.owl")
    assert report.violations == []
    assert report.facts["version_iri"] == f"{FULL_IRI}/{VERSION}/lbp-kg-base.owl"
    assert report.assertions == relations(modules_graph)  # asserted only: no inferences in the base
    base = Graph().parse(release_dir / "lbp-kg-base.owl", format="xml")
    header = URIRef(f"{FULL_IRI}/lbp-kg-base.owl")
    for subject, predicate, _ in base:
        if isinstance(subject, URIRef) and subject != header and not str(subject).startswith(LBP):
            assert predicate == RDF.type, f"the base says more than a declaration of {subject}"


def test_the_obo_graphs_json_matches_the_schema_and_holds_the_relations(release_dir, modules_graph):
    document = json.loads((release_dir / "lbp-kg.json").read_text())
    jsonschema.validate(document, obographs.GraphDocument.model_json_schema())
    graph = obographs.GraphDocument.model_validate(document).graphs[0]
    assert graph.id == FULL_IRI and graph.meta.version == f"{FULL_IRI}/{VERSION}"
    edges = {(e.sub, e.pred, e.obj) for e in graph.edges}
    for s, p, o in relations(modules_graph):
        assert (s[1:-1], p[1:-1], o[1:-1]) in edges
    labelled = {node.id: node.lbl for node in graph.nodes}
    assert labelled[LBP + "gluteus-medius"] == "gluteus medius"


def test_the_obo_file_loads_in_fastobo_with_a_frame_per_entity(release_dir):
    text = (release_dir / "lbp-kg.obo").read_text(encoding="utf-8")
    document = fastobo.loads(text, threads=1)
    nodes = json.loads((release_dir / "lbp-kg.json").read_text())["graphs"][0]["nodes"]
    kinds = {"TermFrame": "CLASS", "TypedefFrame": "PROPERTY", "InstanceFrame": "INDIVIDUAL"}
    counted = {kind: 0 for kind in kinds.values()}
    for frame in document:
        counted[kinds[type(frame).__name__]] += 1
    assert counted == {kind: sum(node["type"] == kind for node in nodes) for kind in kinds.values()}
    terms = {str(frame.id): [str(clause) for clause in frame]
             for frame in document if type(frame).__name__ == "TermFrame"}
    assert "name: muscle" in terms["lbp:Muscle"]
    assert any(clause.startswith("def: ") for clause in terms["lbp:Muscle"])
    assert any(str(clause) == f"data-version: {VERSION}" for clause in document.header)
    # fastobo's Python frames of individuals are opaque, but it parses their clauses strictly:
    # the same file with one individual's relation cut short no longer loads.
    assert "\nproperty_value: RO:0002373 lbp:" in text
    damaged = text.replace("\nproperty_value: RO:0002373 lbp:", "\nproperty_value: RO:0002373\nlbp:", 1)
    with pytest.raises(SyntaxError):
        fastobo.loads(damaged, threads=1)


def test_a_version_that_is_not_semantic_is_refused(runner, tmp_path):
    result = runner.invoke(main, ["release", "--version", "latest", "--output", str(tmp_path)])
    assert result.exit_code == 2 and "X.Y.Z" in result.output
    assert not list(tmp_path.iterdir())


def test_every_file_that_states_the_version_states_the_same_one():
    import tomllib

    from service.paths import ONTOLOGY_HEADER, PROJECT_ROOT

    header = Graph().parse(ONTOLOGY_HEADER)
    ontology_version = str(header.value(URIRef(FULL_IRI), OWL.versionInfo))
    assert header.value(URIRef(FULL_IRI), OWL.versionIRI) == URIRef(f"{FULL_IRI}/{ontology_version}")
    stated = {
        "pyproject.toml": tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["version"],
        "package.json": json.loads((PROJECT_ROOT / "package.json").read_text())["version"],
        "openapi.json": json.loads((PROJECT_ROOT / "service/web/openapi.json").read_text())["info"]["version"],
    }
    assert stated == {name: ontology_version for name in stated}
    assert f"## {ontology_version} " in (PROJECT_ROOT / "CHANGELOG.md").read_text()


def test_the_citation_file_cites_the_current_version_iri():
    import yaml

    from service.paths import ONTOLOGY_HEADER, PROJECT_ROOT

    citation = yaml.safe_load((PROJECT_ROOT / "CITATION.cff").read_text())
    version = str(Graph().parse(ONTOLOGY_HEADER).value(URIRef(FULL_IRI), OWL.versionInfo))
    assert citation["cff-version"] == "1.2.0" and citation["version"] == version
    assert {"type": "url", "value": f"{FULL_IRI}/{version}",
            "description": f"The version IRI of the ontology release {version}"} in citation["identifiers"]
    assert citation["title"] and citation["authors"] and citation["message"]
