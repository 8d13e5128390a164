"""``lbp-kg diff`` lists added, removed and changed terms and assertions, with CURIEs and labels."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from service.cli import EXIT_BAD_INPUT, EXIT_OK, main
from service.curation.ontology_diff import diff_ontologies, load_side, rdf_files
from service.paths import ONTOLOGY_DIR

EXAMPLE = Path(__file__).parent / "data" / "extensions" / "psoas-minor.ttl"
PREFIXES = """@prefix lbp: <https://w3id.org/lbp-kg/id/> . @prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""
OLD = PREFIXES + """
lbp:psoas-major a lbp:Muscle ; rdfs:label "psoas major"@en ; obo:RO_0002373 lbp:lesser-trochanter .
lbp:iliacus a lbp:Muscle ; rdfs:label "iliacus"@en .
lbp:a lbp:causes lbp:b .
[] a owl:Axiom ; owl:annotatedSource lbp:a ; owl:annotatedProperty lbp:causes ; owl:annotatedTarget lbp:b ;
   dcterms:source lbp:source-old .
"""
NEW = PREFIXES + """
lbp:psoas-major a lbp:Muscle ; rdfs:label "psoas major muscle"@en ; obo:RO_0002373 lbp:lesser-trochanter .
lbp:psoas-minor a lbp:Muscle ; rdfs:label "psoas minor"@en .
lbp:a lbp:causes lbp:b .
[] a owl:Axiom ; owl:annotatedSource lbp:a ; owl:annotatedProperty lbp:causes ; owl:annotatedTarget lbp:b ;
   dcterms:source lbp:source-new .
"""


def graph(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


def test_added_removed_and_relabelled_terms_are_listed_with_their_labels():
    result = diff_ontologies(graph(OLD), graph(NEW))
    assert result.added_terms == [{"term": "lbp:psoas-minor", "label": "psoas minor", "types": ["lbp:Muscle"]}]
    assert result.removed_terms == [{"term": "lbp:iliacus", "label": "iliacus", "types": ["lbp:Muscle"]}]
    [changed] = result.changed_terms
    assert changed.term == "lbp:psoas-major"
    assert changed.changes == {"label": {"old": ['"psoas major"@en'], "new": ['"psoas major muscle"@en']}}


def test_a_changed_axiom_annotation_is_shown_as_the_claim_it_annotates():
    result = diff_ontologies(graph(OLD), graph(NEW))
    assert "[axiom on lbp:a lbp:causes lbp:b] dcterms:source lbp:source-new" in result.added_triples
    assert "[axiom on lbp:a lbp:causes lbp:b] dcterms:source lbp:source-old" in result.removed_triples
    # unchanged triples of the annotation are not reported
    assert not any("owl:annotatedSource" in t for t in result.added_triples + result.removed_triples)


def test_identical_versions_have_no_differences():
    assert diff_ontologies(graph(OLD), graph(OLD)).as_text() == "No differences."


def test_a_directory_side_reads_its_rdf_files_but_not_the_xml_catalogue():
    files = rdf_files(ONTOLOGY_DIR)
    assert ONTOLOGY_DIR / "modules" / "core.ttl" in files
    assert ONTOLOGY_DIR / "catalog-v001.xml" not in files


@pytest.mark.slow
def test_the_cli_compares_the_modules_with_the_modules_plus_the_example(tmp_path):
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    for path in (ONTOLOGY_DIR / "modules").glob("*.ttl"):
        (new_dir / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (new_dir / EXAMPLE.name).write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", "--format", "json", str(ONTOLOGY_DIR / "modules"), str(new_dir)])
    assert result.exit_code == EXIT_OK
    data = json.loads(result.stdout)
    assert {t["term"] for t in data["added_terms"]} >= {"lbp:psoas-minor", "lbp:psoas-minor-motor-point"}
    assert data["removed_terms"] == [] and data["changed_terms"] == []
    assert 'lbp:hip-flexors "hip flexors" lbp:hasMember lbp:psoas-minor "psoas minor"' in data["added_triples"]


def test_the_cli_text_output_has_a_section_per_kind_of_change(tmp_path):
    old, new = tmp_path / "old.ttl", tmp_path / "new.ttl"
    old.write_text(OLD, encoding="utf-8")
    new.write_text(NEW, encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == EXIT_OK
    for heading in ("Added terms (1):", "Removed terms (1):", "Changed terms (1):", "Added assertions",
                    "Removed assertions"):
        assert heading in result.stdout


def test_the_cli_reports_a_syntax_error_with_exit_status_2(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("lbp:x a .\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(bad), str(EXAMPLE)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "bad.ttl" in result.stderr


def test_loading_a_directory_merges_its_files():
    assert len(load_side(ONTOLOGY_DIR / "modules")) > len(load_side(ONTOLOGY_DIR / "modules" / "core.ttl"))
