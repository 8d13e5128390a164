"""``lbp-kg export`` writes the graphs a SPARQL engine must hold: each module by name, the inferences."""
from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from service.cli import EXIT_BAD_INPUT, EXIT_OK, main
from service.config import load_config
from service.kg.knowledge import load_data
from service.store import INFERRED_GRAPH

CORE = "https://w3id.org/lbp-kg/ontology/core"


@pytest.fixture(scope="module")
def loaded():
    return load_data(load_config())[1]


def run(*args: str):
    return CliRunner().invoke(main, ["export", *args], catch_exceptions=False)


def graph_sizes(payload: bytes, fmt: ox.RdfFormat) -> Counter:
    return Counter(q.graph_name.value for q in ox.parse(payload, format=fmt))


def shapes(statements) -> Counter:
    """Quads or triples as text, blank nodes reduced to their kind (each load names them anew)."""
    return Counter(tuple("_:" if isinstance(term, ox.BlankNode) else str(term) for term in statement)
                   for statement in statements)


def test_nquads_on_stdout_hold_every_module_and_the_inferences_by_name(loaded):
    result = run()
    assert result.exit_code == EXIT_OK
    sizes = graph_sizes(result.stdout_bytes, ox.RdfFormat.N_QUADS)
    assert list(sizes) == loaded.module_graphs + [INFERRED_GRAPH]
    assert sizes == Counter(loaded.graph_sizes)
    assert shapes(ox.parse(result.stdout_bytes, format=ox.RdfFormat.N_QUADS)) == \
        shapes(ox.parse(loaded.nquads(), format=ox.RdfFormat.N_QUADS))


def test_trig_holds_the_same_quads_as_nquads(tmp_path):
    target = tmp_path / "lbp-kg.trig"
    result = run("--format", "trig", "--output", str(target))
    assert result.exit_code == EXIT_OK and str(target) in result.stderr
    trig = shapes(ox.parse(target.read_bytes(), format=ox.RdfFormat.TRIG))
    nquads = shapes(ox.parse(run().stdout_bytes, format=ox.RdfFormat.N_QUADS))
    assert trig == nquads and sum(trig.values()) > 1000


def test_turtle_writes_the_one_graph_named(loaded):
    result = run("--format", "turtle", "--graph", CORE)
    assert result.exit_code == EXIT_OK
    written = shapes(ox.parse(result.stdout_bytes, format=ox.RdfFormat.TURTLE))
    core = dict(loaded.graphs())[CORE]
    assert written == shapes(ox.parse(core, format=ox.RdfFormat.N_TRIPLES)) and written


def test_turtle_without_one_graph_is_refused_saying_what_to_pass():
    result = run("--format", "turtle")
    assert result.exit_code == EXIT_BAD_INPUT and result.stdout_bytes == b""
    assert "--graph" in result.stderr and CORE in result.stderr


def test_a_graph_the_service_does_not_hold_is_refused_with_the_graphs_it_does():
    result = run("--graph", "https://example.org/other")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "https://example.org/other" in result.stderr and INFERRED_GRAPH in result.stderr


def test_graph_limits_a_quad_export_to_the_graphs_named(loaded):
    result = run("--graph", CORE, "--graph", INFERRED_GRAPH)
    assert graph_sizes(result.stdout_bytes, ox.RdfFormat.N_QUADS) == Counter(
        {CORE: loaded.graph_sizes[CORE], INFERRED_GRAPH: loaded.graph_sizes[INFERRED_GRAPH]})


def test_an_unwritable_output_is_a_clear_error_and_leaves_nothing(tmp_path):
    target = tmp_path / "missing-folder" / "lbp-kg.nq"
    result = run("--output", str(target))
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"Cannot write {target}" in result.stderr
    assert not target.parent.exists()


def test_an_unknown_format_is_refused_by_name():
    result = CliRunner().invoke(main, ["export", "--format", "xml"])
    assert result.exit_code == EXIT_BAD_INPUT and "nquads" in result.output


def test_help_names_the_formats():
    result = run("--help")
    assert result.exit_code == EXIT_OK and "nquads|trig|turtle" in result.output
