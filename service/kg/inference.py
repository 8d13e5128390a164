"""Materialise what the ontology's OWL axioms entail, so plain triple patterns find it.

The rules are SPARQL CONSTRUCT queries in ``queries/inference/`` (a subset of OWL 2 RL: sub-
properties, inverses, transitivity, symmetry, two-link property chains, the class hierarchy,
domains and ranges). ``materialise_into`` runs them over the union of a store's module graphs,
adding what they entail to the inferred graph of the same store, until nothing new appears. The
result is cached on disk, keyed by the graph version (a hash of the input files and the rules), so
a restart with the same inputs reads it back instead of recomputing.
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pyoxigraph as ox

from service.paths import QUERIES_DIR
from service.store import INFERRED_GRAPH
from service.store.oxigraph import return_freed_memory

log = logging.getLogger(__name__)

RULES_DIR = QUERIES_DIR / "inference"
#: A guard against a rule set that never reaches a fixpoint (ours does in a handful of rounds).
MAX_ROUNDS = 50


@dataclass(frozen=True)
class InferenceRule:
    """One CONSTRUCT rule, read from a .rq file."""

    name: str
    text: str


@dataclass(frozen=True)
class Materialisation:
    """How many triples the rules added (none of them asserted), and how it went."""

    triple_count: int
    rounds: int
    seconds: float
    from_cache: bool


def load_rules(directory: Path = RULES_DIR) -> list[InferenceRule]:
    """Read every rule file, in name order."""
    return [InferenceRule(path.stem, path.read_text(encoding="utf-8"))
            for path in sorted(directory.glob("*.rq"))]


#: where a round's conclusions wait until those already held are sifted out (a graph of its own,
#: outside the dataset the rules read, so a round only sees what earlier rounds added)
CANDIDATES = ox.NamedNode("urn:lbp-kg:inference:candidates")
INFERRED = ox.NamedNode(INFERRED_GRAPH)
KEEP_NEW_UPDATE = QUERIES_DIR / "internal" / "inference-keep-new.ru"
INFERRED_SIZE_QUERY = QUERIES_DIR / "internal" / "inferred-size.rq"


def _size(store: ox.Store, size_query: str) -> int:
    return int(next(iter(store.query(size_query)))["n"].value)


def _closure(store: ox.Store, rules: Sequence[InferenceRule]) -> tuple[int, int]:
    """Apply the rules over every graph of the store to a fixpoint, adding what is new to the inferred graph.

    Each round runs the rules (CONSTRUCT queries over every graph but the candidates), puts their
    conclusions among the candidates, then moves the candidates no graph holds yet into the
    inferred graph (queries/internal/inference-keep-new.ru).
    """
    keep_new = KEEP_NEW_UPDATE.read_text(encoding="utf-8")
    size_query = INFERRED_SIZE_QUERY.read_text(encoding="utf-8")
    start = size = _size(store, size_query)
    for round_number in range(1, MAX_ROUNDS + 1):
        read = [g for g in store.named_graphs() if g != CANDIDATES] + [INFERRED]
        for rule in rules:
            conclusions = list(store.query(rule.text, default_graph=list(dict.fromkeys(read))))
            store.extend([ox.Quad(t.subject, t.predicate, t.object, CANDIDATES) for t in conclusions])
        store.update(keep_new)
        store.remove_graph(CANDIDATES)
        grown = _size(store, size_query)
        if grown == size:
            return size - start, round_number
        size = grown
    raise RuntimeError(f"inference did not reach a fixpoint in {MAX_ROUNDS} rounds")


def materialise_into(store: ox.Store, key: str, cache_dir: Path | None = None,
                     rules: Sequence[InferenceRule] | None = None) -> Materialisation:
    """Add what the rules entail from the store's graphs to its inferred graph; cache it under ``key``.

    ``key`` must change whenever the input triples or the rules do (the graph version does). The
    result is cached only when it holds no blank node: blank nodes are named afresh at each
    parse, so a cached one would no longer meet the asserted triples it came from.
    """
    rules = load_rules() if rules is None else rules
    started = time.perf_counter()
    graph = INFERRED
    cache_file = Path(cache_dir) / f"inferred-{key}.nt" if cache_dir is not None else None
    if cache_file is not None and cache_file.is_file():
        before = len(store)
        store.bulk_load(path=cache_file, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
        return Materialisation(len(store) - before, 0, time.perf_counter() - started, True)
    count, rounds = _closure(store, rules)
    if cache_file is not None:
        _write_cache(store, graph, cache_file)
    return_freed_memory()  # the rounds' candidates and joins (hundreds of MiB at 1M triples)
    seconds = time.perf_counter() - started
    log.info("inferred %d triples in %d rounds (%.3f s)", count, rounds, seconds)
    return Materialisation(count, rounds, seconds, False)


def _write_cache(store: ox.Store, graph: ox.NamedNode, cache_file: Path) -> None:
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
    if b"_:" in data:
        return
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    # write then rename, so a reader never sees half a cache file
    with tempfile.NamedTemporaryFile(dir=cache_file.parent, delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, cache_file)
