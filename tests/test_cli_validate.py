"""``lbp-kg validate`` and ``lbp-kg reason`` report problems in words and signal them by exit status."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph

from service.kg import ontology
from service.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, EXIT_REASONER_UNAVAILABLE, main
from service.paths import ONTOLOGY_DIR, PROJECT_ROOT
from service.kg.rdf_files import parse_rdf_file
from service.curation.validation import merge_graphs

#: the commands validate or reason over the whole ontology (seconds each)
pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "shapes"
MUSCLE_WITHOUT_INSERTION = DATA / "invalid" / "muscle-without-insertion.ttl"
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def small_ontology(monkeypatch):
    """Stand in for the bundled ontology: core, sources and the valid example (fast, conforming)."""
    base = [ONTOLOGY_DIR / "modules" / "core.ttl", ONTOLOGY_DIR / "modules" / "sources.ttl",
            DATA / "valid-example.ttl"]

    def load_small_ontology(extensions=()) -> Graph:
        return merge_graphs(parse_rdf_file(path) for path in [*base, *extensions])

    monkeypatch.setattr(ontology, "load_ontology", load_small_ontology)


def test_validate_names_the_muscle_and_the_missing_insertion_and_exits_non_zero(runner):
    result = runner.invoke(main, ["validate", str(MUSCLE_WITHOUT_INSERTION)])
    assert result.exit_code == EXIT_PROBLEMS
    line = next(l for l in result.output.splitlines() if "lbp:example-muscle" in l and "insertion" in l)
    assert line.startswith("ERROR example muscle (lbp:example-muscle):")
    assert "has no insertion (obo:RO_0002373 has muscle insertion)" in line


def test_validate_exits_zero_when_the_graph_conforms(runner, small_ontology):
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == EXIT_OK, result.output
    assert "conforms" in result.output


def test_validate_json_lists_each_violation_with_focus_path_and_message(runner, small_ontology):
    result = runner.invoke(main, ["validate", "--format", "json", str(MUSCLE_WITHOUT_INSERTION)])
    assert result.exit_code == EXIT_PROBLEMS
    data = json.loads(result.output)
    assert data["conforms"] is False
    assert [(r["focus"], r["path"]) for r in data["results"]] == [("lbp:example-muscle", "obo:RO_0002373")]


def test_validate_reports_the_file_and_line_of_a_syntax_error(runner, small_ontology):
    bad = DATA / "cli" / "syntax-error.ttl"
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"{bad}, line 6" in result.output


def test_validate_refuses_a_file_that_does_not_exist(runner, small_ontology):
    result = runner.invoke(main, ["validate", "no-such-file.ttl"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no-such-file.ttl" in result.output


@needs_java
def test_validate_with_reason_fails_on_an_inconsistent_ontology(runner, small_ontology):
    result = runner.invoke(main, ["validate", "--reason",
                                  str(DATA / "reasoning" / "individual-in-disjoint-classes.ttl")])
    assert result.exit_code == EXIT_PROBLEMS
    assert "INCONSISTENT" in result.output
    assert "lbp:example-muscle-nerve is a lbp:Muscle and a lbp:Nerve" in result.output


@needs_java
def test_validate_with_reason_fails_on_an_unsatisfiable_class_even_if_shapes_pass(runner, small_ontology):
    result = runner.invoke(main, ["validate", "--reason",
                                  str(DATA / "reasoning" / "class-disjoint-with-its-parent.ttl")])
    assert "conforms" in result.output.splitlines()[0]
    assert result.exit_code == EXIT_PROBLEMS
    assert "https://w3id.org/lbp-kg/id/ExampleImpossibleState" in result.output


def test_validate_with_reason_without_java_says_how_to_install_it(runner, small_ontology, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = runner.invoke(main, ["validate", "--reason"])
    assert result.exit_code == EXIT_REASONER_UNAVAILABLE
    assert "apt-get install default-jre-headless" in result.output


def test_reason_without_java_says_how_to_install_it(runner, small_ontology, monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = runner.invoke(main, ["reason", "--output", str(tmp_path / "out.ttl")])
    assert result.exit_code == EXIT_REASONER_UNAVAILABLE
    assert "install a Java runtime, e.g. apt-get install default-jre-headless" in result.output
    assert not (tmp_path / "out.ttl").exists()


@needs_java
def test_reason_writes_asserted_and_inferred_triples_as_turtle(runner, small_ontology, tmp_path):
    output = tmp_path / "build" / "inferred.ttl"
    result = runner.invoke(main, ["reason", "--output", str(output)])
    assert result.exit_code == EXIT_OK, result.output
    written = Graph().parse(output, format="turtle")
    asserted = ontology.load_ontology()
    assert len(written) > len(asserted)
    named = [t for t in asserted if not any(isinstance(term, BNode) for term in t)]
    assert all(triple in written for triple in named)


def test_help_lists_the_commands_without_importing_validation_reasoning_or_app_code():
    heavy = ("pyshacl", "owlready2", "service.curation.validation", "service.curation.reasoning", "service.kg.knowledge")
    code = ("import sys; from service.cli import main; "
            "from click.testing import CliRunner; r = CliRunner().invoke(main, ['--help']); "
            f"print(r.output); print(sorted(m for m in {heavy!r} if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               cwd=PROJECT_ROOT, check=True)
    assert "validate" in completed.stdout and "reason" in completed.stdout
    assert completed.stdout.strip().endswith("[]")
