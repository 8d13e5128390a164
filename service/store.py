"""The query store: the ontology's modules as named graphs in Oxigraph, queried with SPARQL 1.1.

Each module is kept in a named graph whose name is the module's ontology IRI; inferred triples
(when reasoning is on) go in ``INFERRED_GRAPH``. The default graph of a query is the union of all
of them unless the request names graphs (``default-graph-uri``); ``ASSERTED_GRAPH`` is a virtual
name for "every module graph, without the inferences".
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import pyoxigraph as ox
from rdflib import Graph

from service.ontology import Module

GRAPH_BASE = "https://w3id.org/lbp-kg/graph/"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
ASSERTED_GRAPH = GRAPH_BASE + "asserted"


class UnknownGraphError(ValueError):
    """A request named a graph the service does not hold."""


def graph_to_ntriples(graph: Graph) -> bytes:
    """Serialise an rdflib graph as N-Triples bytes (the fastest hand-over to Oxigraph)."""
    return graph.serialize(format="nt", encoding="utf-8")


def content_version(parts: Iterable[bytes]) -> str:
    """Return a short stable hash of the given byte strings (the graph's version tag)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


@dataclass
class OxigraphStore:
    """An in-memory Oxigraph store holding one named graph per module."""

    store: ox.Store
    module_graphs: list[str]
    version: str
    has_inferred: bool = False
    triple_count: int = 0
    graph_sizes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_modules(cls, modules: Sequence[Module], inferred: Graph | None = None) -> "OxigraphStore":
        """Load every module (and optionally the inferred triples) into a fresh store."""
        store = ox.Store()
        payloads: list[bytes] = []
        sizes: dict[str, int] = {}
        for module in modules:
            data = graph_to_ntriples(module.graph)
            payloads.append(data)
            store.bulk_load(data, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(module.iri))
            sizes[module.iri] = len(module.graph)
        if inferred is not None:
            data = graph_to_ntriples(inferred)
            store.bulk_load(data, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(INFERRED_GRAPH))
            sizes[INFERRED_GRAPH] = len(inferred)
        return cls(
            store=store,
            module_graphs=[m.iri for m in modules],
            version=content_version(payloads),
            has_inferred=inferred is not None,
            triple_count=sum(sizes.values()),
            graph_sizes=sizes,
        )

    @property
    def graph_names(self) -> list[str]:
        """Every graph a request may name, including the virtual asserted graph."""
        names = list(self.module_graphs)
        if self.has_inferred:
            names.append(INFERRED_GRAPH)
        return names + [ASSERTED_GRAPH]

    def _graphs(self, iris: Sequence[str]) -> list[ox.NamedNode]:
        resolved: list[ox.NamedNode] = []
        for iri in iris:
            if iri == ASSERTED_GRAPH:
                resolved.extend(ox.NamedNode(g) for g in self.module_graphs)
            elif iri in self.module_graphs or (iri == INFERRED_GRAPH and self.has_inferred):
                resolved.append(ox.NamedNode(iri))
            else:
                raise UnknownGraphError(
                    f"unknown graph <{iri}>; this service holds: "
                    + ", ".join(f"<{g}>" for g in self.graph_names)
                )
        return resolved

    def query(self, sparql: str, *, substitutions: dict | None = None,
              default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = ()):
        """Run a SPARQL query; by default over the union of all graphs."""
        options: dict = {"substitutions": substitutions} if substitutions else {}
        if default_graph_uris:
            options["default_graph"] = self._graphs(default_graph_uris)
        else:
            options["use_default_graph_as_union"] = True
        if named_graph_uris:
            options["named_graphs"] = self._graphs(named_graph_uris)
        return self.store.query(sparql, **options)
