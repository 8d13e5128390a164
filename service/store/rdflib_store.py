"""The reference backend: the same named graphs in rdflib, queried with rdflib's SPARQL engine.

Slow, but an independent implementation: the contract suite (tests/test_store_contract.py) holds
Oxigraph and remote endpoints to what it answers. Network features are off: rdflib never loads
graphs named in FROM (``SPARQL_LOAD_GRAPHS`` is switched off, and the dataset is given to the
engine directly, so a query's FROM clauses are never read), SERVICE is refused by the query guard
before evaluation, and results are written by pyoxigraph (no JSON-LD contexts are fetched).

rdflib cannot be interrupted: client queries are evaluated on a copy of the store in sandboxed
worker processes (service.engine.executor), like Oxigraph's; the service's own queries run here.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Mapping

import pyoxigraph as ox
import rdflib.plugins.sparql
from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.evaluate import evalPart
from rdflib.plugins.sparql.processor import SPARQLResult
from rdflib.plugins.sparql.sparql import QueryContext

from service.store.bindings import bind_with_values
from service.store.interface import EvaluatingStore, LoadedData, QueryDataset
from service.store.rdflib_solutions import hash_solutions_by_pairs

hash_solutions_by_pairs()  # before this backend's first query (see service/store/rdflib_solutions.py)

#: datasets (default graphs, named graphs) kept built; requests use only a handful
DATASET_CACHE_SIZE = 8


class _NamedGraphs(Dataset):
    """A Dataset answering to the names rdflib's GRAPH evaluation still uses.

    rdflib 7.6 deprecates ``contexts`` and ``default_context`` but evaluates GRAPH with them,
    which would warn on every query.
    """

    def contexts(self, triple=None):
        return self.graphs(triple)

    @property
    def default_context(self):
        return self.default_graph

    @default_context.setter
    def default_context(self, value):
        self.default_graph = value


@dataclass
class RdflibStore(EvaluatingStore):
    """The loaded graphs as rdflib Graphs, one per module plus the inferred graph."""

    graphs: dict[str, Graph]
    module_graphs: list[str]
    version: str
    has_inferred: bool = False
    triple_count: int = 0
    graph_sizes: dict[str, int] = field(default_factory=dict)
    #: what the store was built from, to build the same store in a worker process
    data: LoadedData | None = None

    def __post_init__(self):
        self._datasets: dict[QueryDataset, tuple[Graph, _NamedGraphs]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_data(cls, data: LoadedData) -> "RdflibStore":
        """Parse each loaded graph into its own rdflib Graph."""
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False  # never fetch a graph a query names
        graphs = {}
        for name, payload in data.graphs():
            graphs[name] = Graph(identifier=URIRef(name)).parse(data=payload, format="nt")
        sizes = data.graph_sizes
        return cls(graphs=graphs, module_graphs=list(data.module_graphs), version=data.version,
                   has_inferred=data.inferred is not None, triple_count=sum(sizes.values()),
                   graph_sizes=sizes, data=data)

    def to_data(self) -> LoadedData:
        """Return what the store was built from."""
        return self.data

    def _dataset(self, dataset: QueryDataset) -> tuple[Graph, _NamedGraphs]:
        """Return (default graph, dataset of named graphs) for a query's dataset, built once."""
        with self._lock:
            built = self._datasets.get(dataset)
            if built is None:
                default = Graph()
                for name in self.stored_graphs if dataset.default_graphs is None else dataset.default_graphs:
                    default += self.graphs[name]
                named = _NamedGraphs()
                for name in self.stored_graphs if dataset.named_graphs is None else dataset.named_graphs:
                    graph = named.graph(URIRef(name))
                    graph += self.graphs[name]
                if len(self._datasets) >= DATASET_CACHE_SIZE:
                    self._datasets.pop(next(iter(self._datasets)))
                built = self._datasets[dataset] = (default, named)
            return built

    def evaluate(self, sparql: str, dataset: QueryDataset, substitutions: Mapping[str, object] | None = None,
                 base_iri: str | None = None):
        """Evaluate a query over a dataset; return the result in pyoxigraph's shapes.

        Raises SyntaxError when the query does not parse.
        """
        text = bind_with_values(sparql, dict(substitutions or {}))
        try:
            query = prepareQuery(text, base=base_iri)
        except Exception as err:  # noqa: BLE001 - pyparsing's errors share no useful base class
            raise SyntaxError(str(err)) from None
        default, named = self._dataset(dataset)
        context = QueryContext(named, initBindings={})
        context.graph = default  # the dataset is ours: FROM clauses in the text are not read
        context.prologue = query.prologue
        result = SPARQLResult(evalPart(context, query.algebra))
        return _to_pyoxigraph(result)


def _to_pyoxigraph(result: SPARQLResult):
    if result.type in ("SELECT", "ASK"):
        return ox.parse_query_results(result.serialize(format="json"), format=ox.QueryResultsFormat.JSON)
    data = result.graph.serialize(format="nt", encoding="utf-8")
    return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]
