"""Time every named query, with its ``# example:`` parameters, in process at several graph sizes.

The knowledge graph is the bundled ontology (one named graph per module, as the service loads it)
plus a synthetic extension from ``bench.generate`` in a graph of its own; each query runs over the
asserted graphs with its parameters bound by substitution, as ``/queries/<name>`` does, but in
this process and without the HTTP layer, so the figure is the query's own cost. The synthetic
units never touch the real terms the examples ask about, so a query whose time grows with the
size scans more than the neighbourhood of its parameter.

    .venv/bin/python -m bench.named_queries --sizes 0,100k,1m --runs 9
    .venv/bin/python -m bench.named_queries --sizes 100k --only inhibitors,causes --queries-dir /tmp/old
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from bench.generate import ontology_iri, parse_size, size_name, write_extension
from service.kg.ask import resolve_arguments
from service.kg.catalog import Catalog, NamedQuery
from service.kg.labels import LabelIndex
from service.kg.ontology import load_core_modules
from service.paths import QUERIES_DIR
from service.store import LoadedData, OxigraphStore, graph_to_ntriples

#: a query slower than this (ms) in its first run is run once only: its median would take minutes
SLOW_FIRST_RUN_MS = 2_000.0


def core_data() -> LoadedData:
    """Return the bundled ontology's modules as the service loads them (asserted, no inference)."""
    modules = load_core_modules()
    return LoadedData.from_modules(modules, module_ntriples=[graph_to_ntriples(m.graph, m.iri) for m in modules])


def store_with_extension(core: LoadedData, triples: int, cache_dir: Path, seed: int = 0) -> OxigraphStore:
    """Return an in-memory store of the core modules plus a synthetic module of ``triples`` triples."""
    if triples == 0:
        return OxigraphStore.from_data(core)
    path = write_extension(cache_dir, triples, seed)
    payload = path.read_bytes()
    data = LoadedData(module_graphs=core.module_graphs + [ontology_iri(size_name(triples))],
                      module_ntriples=core.module_ntriples + [payload],
                      module_sizes=core.module_sizes + [triples])
    return OxigraphStore.from_data(data)


def example_bindings(query: NamedQuery, index: LabelIndex) -> dict[ox.Variable, ox.NamedNode]:
    """Resolve the query's ``# example:`` values to entities and return its substitutions."""
    return query.bind(resolve_arguments(query, dict(query.examples), index))


def time_query(store: OxigraphStore, query: NamedQuery, bindings: dict, runs: int) -> tuple[float, int]:
    """Return the median wall time (ms) of evaluating the query and reading every row, and the rows."""
    times, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = sum(1 for _ in store.query(query.text, substitutions=bindings or None))
        times.append((time.perf_counter() - started) * 1000)
        if times[0] > SLOW_FIRST_RUN_MS:
            break
    return statistics.median(times), rows


def measure(sizes: list[int], runs: int, queries_dir: Path, only: set[str], cache_dir: Path) -> dict:
    """Return {query name: {size: (median ms, rows)}} for every selected named query and size."""
    catalog = Catalog.load(queries_dir)
    core = core_data()
    index = LabelIndex.from_store(OxigraphStore.from_data(core))
    selected = [q for q in catalog if not only or q.name in only]
    bindings = {q.name: example_bindings(q, index) for q in selected}
    figures: dict = {q.name: {} for q in selected}
    for size in sizes:
        started = time.perf_counter()
        store = store_with_extension(core, size, cache_dir)
        print(f"{size_name(size) if size else 'core'}: {store.triple_count} triples loaded in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        for query in selected:
            figures[query.name][size] = time_query(store, query, bindings[query.name], runs)
            ms, rows = figures[query.name][size]
            print(f"  {query.name}: {ms:.2f} ms, {rows} rows", file=sys.stderr)
        del store
    return figures


def table(figures: dict, sizes: list[int]) -> str:
    """Render the figures as a markdown table: median ms (rows) per size."""
    heads = [size_name(s) if s else "core only" for s in sizes]
    lines = ["| query | " + " | ".join(f"{h} ms (rows)" for h in heads) + " |",
             "|---|" + "---:|" * len(sizes)]
    for name, by_size in figures.items():
        cells = [f"{by_size[s][0]:,.2f} ({by_size[s][1]})" for s in sizes]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Time each named query with its examples at each size and print a markdown table."""
    parser = argparse.ArgumentParser(prog="python -m bench.named_queries", description=main.__doc__)
    parser.add_argument("--sizes", default="0,100k,1m",
                        help="synthetic triples added to the ontology: 0 (none), 10k, 100k, 1m or a number")
    parser.add_argument("--runs", type=int, default=9, help="runs per query; the median is reported")
    parser.add_argument("--queries-dir", default=str(QUERIES_DIR), help="the named queries to time")
    parser.add_argument("--only", default="", help="comma-separated query names (default: all)")
    parser.add_argument("--cache-dir", default="var/bench", help="where generated data is kept")
    args = parser.parse_args(argv)
    sizes = [0 if s.strip() == "0" else parse_size(s) for s in args.sizes.split(",")]
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    figures = measure(sizes, args.runs, Path(args.queries_dir), only, Path(args.cache_dir))
    print(table(figures, sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
