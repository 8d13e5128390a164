"""``lbp-kg check`` gates extensions: each broken extension fails with a message naming the term or line."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from service.curation.gate import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, run_gate

EXTENSIONS = Path(__file__).parent / "data" / "extensions"
BROKEN = EXTENSIONS / "broken"
EXAMPLE = EXTENSIONS / "psoas-minor.ttl"
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime")
pytestmark = [needs_java, pytest.mark.slow]  # each gate run takes seconds

_reports: dict = {}


@pytest.fixture(scope="session")
def no_installed_extensions(tmp_path_factory) -> Path:
    """An empty extensions directory, so the checks do not depend on what is installed."""
    return tmp_path_factory.mktemp("installed")


@pytest.fixture
def gate(no_installed_extensions):
    """Run the gate once per file for the whole session (each run takes several seconds)."""
    def run(path: Path):
        if path not in _reports:
            _reports[path] = run_gate([path], extensions_dir=no_installed_extensions)
        return _reports[path]
    return run


def problems(report, stage: str) -> list:
    return report.stages[stage].problems


def test_the_worked_example_passes_every_stage(gate):
    report = gate(EXAMPLE)
    assert report.exit_code == EXIT_OK
    assert {s.status for s in report.stages.values()} == {"passed"}


def test_a_muscle_without_insertion_fails_the_shapes_naming_the_muscle_and_the_property(gate):
    report = gate(BROKEN / "muscle-without-insertion.ttl")
    assert report.exit_code == EXIT_FAILED
    [problem] = problems(report, "shapes")
    assert (problem.term, problem.property) == ("lbp:psoas-minor", "obo:RO_0002373")
    assert "has no insertion" in problem.message
    assert problem.line == 10 and problem.file.endswith("muscle-without-insertion.ttl")


def test_a_class_disjoint_with_its_parent_is_unsatisfiable_and_the_clashing_axiom_is_named(gate):
    report = gate(BROKEN / "class-disjoint-with-parent.ttl")
    assert report.exit_code == EXIT_FAILED
    [problem] = problems(report, "reasoner")
    assert problem.check == "unsatisfiable-class" and problem.term == "lbp:DeepHipMuscle"
    assert "Asserted superclasses: lbp:Muscle" in problem.message
    assert "lbp:DeepHipMuscle and lbp:Muscle are disjoint (owl:disjointWith)" in problem.message


def test_a_term_without_label_fails_shapes_and_conventions(gate):
    report = gate(BROKEN / "term-without-label.ttl")
    for stage in ("shapes", "conventions"):
        [problem] = problems(report, stage)
        assert (problem.term, problem.property) == ("lbp:trunk-extension-in-standing", "rdfs:label")
        assert "no English label" in problem.message


def test_a_clinical_claim_without_source_is_named_with_its_relation(gate):
    report = gate(BROKEN / "claim-without-source.ttl")
    [problem] = problems(report, "conventions")
    assert problem.check == "claim-source" and problem.property == "lbp:contributesTo"
    assert "lbp:piriformis-tightness lbp:contributesTo lbp:sciatic-nerve-irritation has no source" in problem.message
    assert problems(report, "shapes")[0].term == "lbp:piriformis-tightness"


def test_a_syntax_error_reports_the_file_and_line_and_skips_the_other_stages(gate):
    report = gate(BROKEN / "syntax-error.ttl")
    assert report.exit_code == EXIT_BAD_INPUT
    [problem] = problems(report, "parse")
    assert problem.line == 12 and problem.file.endswith("syntax-error.ttl")
    assert "line 12" in problem.fix
    assert report.stages["shapes"].status == "skipped"


def test_a_label_already_used_by_the_core_is_a_duplicate_whatever_its_case(gate):
    report = gate(BROKEN / "duplicate-label.ttl")
    [problem] = problems(report, "conventions")
    assert problem.check == "duplicate-label" and problem.term == "lbp:hip-flexion-movement"
    assert 'label "Hip Flexion" is already the label of lbp:hip-flexion' in problem.message


def test_a_duplicate_label_also_breaks_the_competency_question_that_names_it(gate):
    report = gate(BROKEN / "duplicate-label.ttl")
    assert any("muscles-by-action (action=hip flexion)" in p.message and "names 2 entities" in p.message
               for p in problems(report, "questions"))


def test_relabelling_a_core_term_is_a_redefinition(gate):
    report = gate(BROKEN / "redefined-core-label.ttl")
    [problem] = problems(report, "conventions")
    assert problem.check == "redefinition" and problem.term == "lbp:psoas-major"
    assert 'changes the label of the existing term lbp:psoas-major (adds rdfs:label "greater psoas"@en' in problem.message


def test_the_example_changes_the_hip_flexor_answers_and_answers_about_its_own_terms(gate):
    details = {(d["query"], tuple(d["arguments"].items())): d for d in gate(EXAMPLE).stages["questions"].details}
    members = details[("muscle-group-members", (("group", "hip flexors"),))]
    assert [row for row in members["added"] if "member: psoas minor" in row] and not members["removed"]
    own = details[("attachments", (("muscle", "psoas minor"),))]
    assert own["rows_before"] is None and own["rows_after"] == 2


def test_check_prints_json_for_ci_and_exits_non_zero_on_failure(no_installed_extensions):
    result = CliRunner().invoke(main, ["check", "--format", "json", "--extensions", str(no_installed_extensions),
                                       str(BROKEN / "syntax-error.ttl")])
    assert result.exit_code == EXIT_BAD_INPUT
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert data["stages"][0]["problems"][0]["line"] == 12


def test_check_reports_a_missing_file_as_unreadable_input(no_installed_extensions, tmp_path):
    result = CliRunner().invoke(main, ["check", "--extensions", str(no_installed_extensions),
                                       str(tmp_path / "missing.ttl")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "missing.ttl" in result.stdout and "cannot read the file" in result.stdout
