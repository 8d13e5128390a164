"""The SHACL shapes accept a well-formed graph and reject each crafted mistake with a clear message.

Each file in tests/data/shapes/invalid/ adds one mistake to tests/data/shapes/valid-example.ttl
and names, in ``# expect: <focus CURIE or *> | <message fragment>`` lines, every violation it must
cause; no other violation may appear.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from service.paths import ONTOLOGY_DIR
from service.kg.rdf_files import parse_rdf_file
from service.curation.validation import CurieMaker, load_shapes, merge_graphs, validate_graph

DATA = Path(__file__).parent / "data" / "shapes"
VALID_EXAMPLE = DATA / "valid-example.ttl"
INVALID_CASES = sorted((DATA / "invalid").glob("*.ttl"))
VOCABULARY = [ONTOLOGY_DIR / "modules" / "core.ttl", ONTOLOGY_DIR / "modules" / "sources.ttl"]


def expectations(path: Path) -> list[tuple[str, str]]:
    """Read the ``# expect: focus | fragment`` lines of a case file."""
    expected = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect:"):
            focus, _, fragment = line.removeprefix("# expect:").partition("|")
            expected.append((focus.strip(), fragment.strip()))
    return expected


def matches(result, focus: str, fragment: str, curie: CurieMaker) -> bool:
    return (focus == "*" or curie(result.focus_node) == focus) and fragment in result.message


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


@pytest.fixture(scope="module")
def valid_graph() -> Graph:
    return merge_graphs(parse_rdf_file(path) for path in [*VOCABULARY, VALID_EXAMPLE])


@pytest.fixture(scope="module")
def report_of(valid_graph, shapes):
    """Validate the valid example plus one case file, once per case for the whole module."""
    reports = {}

    def report(case: Path):
        if case not in reports:
            reports[case] = validate_graph(valid_graph + parse_rdf_file(case), shapes)
        return reports[case]
    return report


def test_every_invalid_case_states_what_it_expects():
    assert INVALID_CASES, f"no case files in {DATA / 'invalid'}"
    for case in INVALID_CASES:
        assert expectations(case), f"{case.name} has no '# expect:' line"


@pytest.mark.slow
def test_every_constraint_with_a_message_is_tripped_by_some_crafted_case(shapes, report_of):
    """Each constraint is shown able to fail: none without a case that makes it report."""
    from rdflib.namespace import SH

    tripped = {node for case in INVALID_CASES for predicate in (SH.sourceShape, SH.sourceConstraint)
               for node in report_of(case).graph.objects(None, predicate)}
    untested = sorted(str(message) for constraint, message in shapes.subject_objects(SH.message)
                      if constraint not in tripped)
    assert untested == []


def test_the_valid_example_conforms(valid_graph, shapes):
    report = validate_graph(valid_graph, shapes)
    assert report.conforms, report.as_text()
    assert report.results == []


@pytest.mark.parametrize("case", INVALID_CASES, ids=[case.stem for case in INVALID_CASES])
def test_each_crafted_mistake_is_reported_with_a_clear_message(case, report_of):
    report = report_of(case)
    curie = CurieMaker()
    found = "\n".join(f"  {curie(r.focus_node)} | {r.message}" for r in report.results)

    assert not report.conforms
    for focus, fragment in expectations(case):
        assert any(matches(r, focus, fragment, curie) for r in report.results), (
            f"expected a violation on {focus} mentioning {fragment!r}; got:\n{found}"
        )
    for result in report.results:
        assert any(matches(result, f, m, curie) for f, m in expectations(case)), (
            f"unexpected violation: {curie(result.focus_node)} | {result.message}"
        )
        assert result.severity == "Violation"


def test_messages_name_terms_by_curie_not_by_template_or_full_iri(valid_graph, shapes):
    case = DATA / "invalid" / "muscle-without-insertion.ttl"
    report = validate_graph(valid_graph + parse_rdf_file(case), shapes)
    (result,) = report.results
    assert result.message == (
        "Muscle lbp:example-muscle has no insertion (obo:RO_0002373 has muscle insertion) at a bony "
        "site: give it at least one insertion that is an lbp:BonySite."
    )
    assert "{$" not in result.message and "https://" not in result.message


def test_text_report_starts_each_line_with_severity_label_and_curie(valid_graph, shapes):
    case = DATA / "invalid" / "muscle-without-insertion.ttl"
    report = validate_graph(valid_graph + parse_rdf_file(case), shapes)
    first_line = report.as_text().splitlines()[0]
    assert first_line.startswith("ERROR example muscle (lbp:example-muscle): Muscle lbp:example-muscle has no insertion")


def test_json_report_gives_focus_path_and_message(valid_graph, shapes):
    case = DATA / "invalid" / "muscle-without-insertion.ttl"
    data = validate_graph(valid_graph + parse_rdf_file(case), shapes).as_dict()
    assert data["conforms"] is False
    (result,) = data["results"]
    assert result["focus"] == "lbp:example-muscle"
    assert result["focus_label"] == "example muscle"
    assert result["path"] == "obo:RO_0002373"
    assert result["severity"] == "Violation"
    assert result["source_shape"] == "lbpsh:MuscleShape"


def test_every_shape_message_is_a_sentence_and_every_shape_a_violation(shapes):
    from rdflib.namespace import SH

    messages = list(shapes.objects(None, SH.message))
    assert len(messages) >= 25
    for message in messages:
        text = str(message)
        assert text[0].isupper() or text.startswith("{$this}"), text
        assert text.endswith("."), text
    severities = set(shapes.objects(None, SH.severity))
    assert severities == {SH.Violation}


@pytest.mark.slow
def test_the_shipped_ontology_conforms_to_the_shapes(shapes):
    from service.kg.ontology import load_ontology

    report = validate_graph(load_ontology(), shapes)
    assert report.conforms, report.as_text()
