"""Named queries about real terms answer the same when unrelated synthetic data is added.

The synthetic extension (bench.generate) has the shape of the real ontology but never touches a
real term, so every example answer must stay exactly as it is on the bundled ontology alone;
only the whole-graph query (lower-crossed-pattern) gains rows, about synthetic terms only (the
synthetic data holds no evidence statements, so `disputed` keeps its answer).
How fast the queries are at size is measured by bench/named_queries.py, not here.
"""
from __future__ import annotations

import pytest

from bench.generate import generate_triples, ontology_iri
from bench.named_queries import core_data, example_bindings
from service.kg.catalog import Catalog
from service.kg.labels import LabelIndex
from service.store import LoadedData, OxigraphStore

SYNTHETIC_TRIPLES = 3_000
SYNTHETIC_IRI_PART = "/id/syn-"


@pytest.fixture(scope="module")
def core():
    return core_data()


@pytest.fixture(scope="module")
def stores(core):
    synthetic = "".join(generate_triples(SYNTHETIC_TRIPLES, seed=1)).encode("utf-8")
    extended = LoadedData(module_graphs=core.module_graphs + [ontology_iri("scaling-test")],
                          module_ntriples=core.module_ntriples + [synthetic],
                          module_sizes=core.module_sizes + [SYNTHETIC_TRIPLES])
    return OxigraphStore.from_data(core), OxigraphStore.from_data(extended)


@pytest.fixture(scope="module")
def index(stores):
    return LabelIndex.from_store(stores[0])


def _rows(store, query, bindings) -> list[tuple]:
    return [tuple(str(term) if term is not None else None for term in solution)
            for solution in store.query(query.text, substitutions=bindings or None)]


def _mentions_synthetic(row: tuple) -> bool:
    return any(value is not None and SYNTHETIC_IRI_PART in value for value in row)


CATALOG = Catalog.load()


@pytest.mark.parametrize("name", [q.name for q in CATALOG])
def test_answers_about_real_terms_do_not_change_when_synthetic_data_is_added(stores, index, name):
    query = CATALOG.get(name)
    bindings = example_bindings(query, index)
    alone, extended = stores
    before, after = _rows(alone, query, bindings), _rows(extended, query, bindings)
    assert before, f"{name}: the example should have an answer on the bundled ontology"
    if query.parameters:
        assert after == before
    else:
        real = [row for row in after if not _mentions_synthetic(row)]
        assert sorted(real, key=str) == sorted(before, key=str)
        if name == "lower-crossed-pattern":
            assert len(after) > len(before)  # the synthetic edges are there too


def test_the_synthetic_data_is_really_loaded_beside_the_ontology(stores):
    alone, extended = stores
    assert extended.triple_count == alone.triple_count + SYNTHETIC_TRIPLES
