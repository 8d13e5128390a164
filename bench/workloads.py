"""What the benchmark asks: the floor's /hello, /health, every named query and four SPARQL queries.

A ``Workload`` is one URL on lbp-kg plus, where the peers can answer the same question, the
SPARQL text they run: the query itself for the /sparql workloads; for a named query its ``.rq``
text with the ``# example:`` parameters bound by a ``VALUES`` block, as the service's text-binding
backends do (the peers have no named queries and take no substitutions).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, urlencode

from bench.named_queries import core_data, example_bindings
from service.store.bindings import bind_with_values
from service.kg.catalog import Catalog
from service.kg.labels import LabelIndex
from service.paths import QUERIES_DIR
from service.store import OxigraphStore

BENCH_QUERIES_DIR = Path(__file__).with_name("queries")
#: the SPARQL workloads, in the order the table lists them
SPARQL_QUERY_NAMES = ("label-lookup", "two-hops", "property-path", "aggregate")
SPARQL_RESULTS_JSON = "application/sparql-results+json"
JSON_ANSWER = "application/sparql-results+json, application/json;q=0.9"


@dataclass(frozen=True)
class Workload:
    """One thing to measure: a path on lbp-kg and, when the peers can run it too, its SPARQL."""

    name: str
    group: str  # floor, health, named or sparql
    path: str
    accept: str
    sparql: str | None = None
    #: sent with ``Cache-Control: no-cache``: lbp-kg evaluates every request instead of replaying
    #: a cached answer (peers cache nothing, so they run each workload once, without it)
    fresh: bool = False

    @property
    def headers(self) -> dict[str, str]:
        """The request headers of this workload."""
        return {"Accept": self.accept, **({"Cache-Control": "no-cache"} if self.fresh else {})}

    def uncached(self) -> "Workload":
        """The same request, asking for a fresh evaluation every time."""
        return replace(self, fresh=True)


def sparql_workloads(queries_dir: Path = BENCH_QUERIES_DIR) -> list[Workload]:
    """Return the four /sparql workloads (label lookup, two hops, property path, aggregate)."""
    workloads = []
    for name in SPARQL_QUERY_NAMES:
        text = (queries_dir / f"{name}.rq").read_text(encoding="utf-8")
        workloads.append(Workload(name=f"sparql {name}", group="sparql",
                                  path="/sparql?" + urlencode({"query": text}, quote_via=quote),
                                  accept=SPARQL_RESULTS_JSON, sparql=text))
    return workloads


def named_query_workloads(queries_dir: Path = QUERIES_DIR) -> list[Workload]:
    """Return a workload per named query, asked with the values of its ``# example:`` lines.

    The examples name terms of the bundled ontology, which the synthetic units never touch, so
    every size asks the same questions and gets the same answers.
    """
    index = LabelIndex.from_store(OxigraphStore.from_data(core_data()))
    workloads = []
    for query in Catalog.load(queries_dir):
        params = {p.name: dict(query.examples)[p.name] for p in query.parameters}
        bindings = {variable.value: term for variable, term in example_bindings(query, index).items()}
        path = f"/queries/{quote(query.name)}" + (("?" + urlencode(params, quote_via=quote)) if params else "")
        label = query.name + "".join(f" ({k}={v})" for k, v in params.items())
        workloads.append(Workload(name=f"named {label}", group="named", path=path, accept=JSON_ANSWER,
                                  sparql=bind_with_values(query.text, bindings)))
    return workloads


def service_workloads() -> list[Workload]:
    """Return /health, every named query and the /sparql queries, the queries each also asked with
    ``Cache-Control: no-cache`` (every request evaluated)."""
    queries = named_query_workloads() + sparql_workloads()
    health = Workload(name="lbp-kg /health", group="health", path="/health", accept="application/json")
    return [health, *queries, *(workload.uncached() for workload in queries)]
