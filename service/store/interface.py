"""The store interface: the ontology's modules as named graphs, queried with SPARQL 1.1.

Each module is kept in a named graph whose name is the module's ontology IRI; inferred triples
(when reasoning is on) go in ``INFERRED_GRAPH``. The default graph of a query is the union of all
of them unless the request names graphs (``default-graph-uri``); ``ASSERTED_GRAPH`` is a virtual
name for "every module graph, without the inferences".

Every backend (``service.store.oxigraph.OxigraphStore``, the default; ``service.store.rdflib_store`` and
``service.store.remote``) offers the same small interface:

- ``version``, ``triple_count``, ``graph_sizes``, ``module_graphs``, ``has_inferred`` and
  ``graph_names``: what is loaded (the version is a hash of the input files and rules; see
  ``service.kg.knowledge.graph_version``);
- ``resolve_dataset(default_graph_uris, named_graph_uris)``: a request's graphs as a
  ``QueryDataset`` (``UnknownGraphError`` for a graph the service does not hold);
- ``query(sparql, substitutions=..., default_graph_uris=..., named_graph_uris=...)``: the
  service's own queries (label index, entity pages, graph pages). The result is always in
  pyoxigraph's shapes: ``QuerySolutions`` (rows indexed by variable name), ``QueryBoolean``, or
  an iterable of ``pyoxigraph.Triple``; substitutions map ``pyoxigraph.Variable`` to terms;
- ``evaluate(sparql, dataset, substitutions, base_iri)``: any query over a dataset, in the same
  shapes, raising the errors of ``service.store.errors``.

``Store`` below is that interface as a ``typing.Protocol``. Answering a client's query (limits,
worker processes, media types) is not the store's business: see ``service.engine``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping, Protocol, Sequence

import pyoxigraph as ox

if TYPE_CHECKING:  # query worker processes import this module; they need no rdflib
    from rdflib import Graph

GRAPH_BASE = "https://w3id.org/lbp-kg/graph/"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
ASSERTED_GRAPH = GRAPH_BASE + "asserted"


class UnknownGraphError(ValueError):
    """A request named a graph the service does not hold."""


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset of one query, as graph IRIs the store holds.

    ``default_graphs`` None means "the union of every graph"; ``named_graphs`` None means "every
    graph"; an empty tuple means none (an empty default graph, no named graphs). Plain strings, so
    a dataset can be sent to a query worker process.
    """

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None

    def query_options(self) -> dict:
        """Return the ``pyoxigraph.Store.query`` keyword arguments selecting this dataset."""
        options: dict = {}
        if self.default_graphs is None:
            options["use_default_graph_as_union"] = True
        else:
            options["default_graph"] = [ox.NamedNode(g) for g in self.default_graphs]
        if self.named_graphs is not None:
            options["named_graphs"] = [ox.NamedNode(g) for g in self.named_graphs]
        return options


_BLANK_SUBJECT = re.compile(rb"^_:(\S+) ")
_BLANK_OBJECT = re.compile(rb" _:(\S+) \.$")
#: refinement rounds for blank node names: enough to tell apart list cells and nested axioms
_NAMING_ROUNDS = 4


def graph_to_ntriples(graph: Graph, scope: str = "") -> bytes:
    """Serialise an rdflib graph as N-Triples bytes, the same bytes for the same graph.

    rdflib names blank nodes afresh in every process and iterates in no fixed order, which would
    give the same ontology a new version (missing every cache keyed by it) at each start. Here
    lines are sorted and each blank node is named by a hash of its surroundings (its triples,
    refined a few rounds through neighbouring blank nodes), prefixed with a hash of ``scope``
    (the module IRI) so that two modules' blank nodes never share a name.
    """
    data = graph.serialize(format="nt", encoding="utf-8")
    if b"_:" not in data:
        return b"".join(sorted(data.splitlines(keepends=True)))
    names = _blank_node_names(graph, hashlib.sha256(scope.encode("utf-8")).hexdigest()[:8])

    def rename(match: re.Match) -> bytes:
        whole, start = match.group(0), match.start(1) - match.start(0)
        return whole[:start] + names[match.group(1)] + whole[start + len(match.group(1)):]

    lines = [_BLANK_OBJECT.sub(rename, _BLANK_SUBJECT.sub(rename, line)) + b"\n" for line in data.splitlines()]
    return b"".join(sorted(lines))


def _blank_node_names(graph: Graph, prefix: str) -> dict[bytes, bytes]:
    """Name every blank node by its neighbourhood (a few rounds of Weisfeiler-Lehman hashing)."""
    from rdflib import BNode

    edges: dict = {}
    for s, p, o in graph:
        if isinstance(s, BNode):
            edges.setdefault(s, []).append(("out", p, o))
        if isinstance(o, BNode):
            edges.setdefault(o, []).append(("in", p, s))
    signature = {node: "" for node in edges}
    for _ in range(_NAMING_ROUNDS):
        signature = {
            node: hashlib.sha256("\n".join(sorted(
                f"{way} {p.n3()} {signature[other] if isinstance(other, BNode) else other.n3()}"
                for way, p, other in triples)).encode("utf-8")).hexdigest()
            for node, triples in edges.items()
        }
    names: dict[bytes, bytes] = {}
    taken: set[str] = set()
    for node in sorted(edges, key=lambda n: signature[n]):
        name, extra = signature[node][:16], 0
        while name in taken:  # nodes no neighbourhood tells apart: number them
            extra += 1
            name = f"{signature[node][:16]}x{extra}"
        taken.add(name)
        names[str(node).encode("utf-8")] = f"g{prefix}{name}".encode("ascii")
    return names


def content_version(parts: Iterable[bytes]) -> str:
    """Return a short stable hash of the given byte strings (the graph's version tag)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


class GraphNames:
    """The graph names of a store and the datasets requests make of them (mixed into each backend).

    Expects ``module_graphs`` (list of IRIs) and ``has_inferred`` (bool) on the instance.
    """

    module_graphs: list[str]
    has_inferred: bool

    @property
    def graph_names(self) -> list[str]:
        """Every graph a request may name, including the virtual asserted graph."""
        names = list(self.module_graphs)
        if self.has_inferred:
            names.append(INFERRED_GRAPH)
        return names + [ASSERTED_GRAPH]

    @property
    def stored_graphs(self) -> list[str]:
        """The graphs that hold triples (every name but the virtual asserted graph)."""
        return self.module_graphs + ([INFERRED_GRAPH] if self.has_inferred else [])

    def _graphs(self, iris: Sequence[str]) -> list[str]:
        resolved: list[str] = []
        for iri in iris:
            if iri == ASSERTED_GRAPH:
                resolved.extend(self.module_graphs)
            elif iri in self.module_graphs or (iri == INFERRED_GRAPH and self.has_inferred):
                resolved.append(iri)
            else:
                raise UnknownGraphError(
                    f"unknown graph <{iri}>; this service holds: "
                    + ", ".join(f"<{g}>" for g in self.graph_names)
                )
        return resolved

    def resolve_dataset(self, default_graph_uris: Sequence[str] = (),
                        named_graph_uris: Sequence[str] = (), *, explicit: bool = False) -> QueryDataset:
        """Check the named graphs and return the dataset they make (UnknownGraphError if foreign).

        Unless ``explicit``, no default graphs means the union of every graph and no named graphs
        means every graph (the service's own queries). An explicit dataset (the protocol's
        default-graph-uri / named-graph-uri, or the query's FROM / FROM NAMED) is taken as the
        SPARQL 1.1 Protocol says: naming only named graphs leaves the default graph empty, and
        naming only default graphs leaves no named graphs.
        """
        if explicit:
            return QueryDataset(default_graphs=tuple(self._graphs(default_graph_uris)),
                                named_graphs=tuple(self._graphs(named_graph_uris)))
        return QueryDataset(
            default_graphs=tuple(self._graphs(default_graph_uris)) if default_graph_uris else None,
            named_graphs=tuple(self._graphs(named_graph_uris)) if named_graph_uris else None,
        )


class EvaluatingStore(GraphNames):
    """A backend that answers the service's own queries through ``evaluate(sparql, dataset, names)``."""

    def evaluate(self, sparql: str, dataset: QueryDataset, substitutions=None, **options):
        raise NotImplementedError

    def query(self, sparql: str, *, substitutions: dict | None = None,
              default_graph_uris: Sequence[str] = (ASSERTED_GRAPH,), named_graph_uris: Sequence[str] = ()):
        """Run one of the service's own queries; by default over the asserted graphs only."""
        dataset = self.resolve_dataset(default_graph_uris, named_graph_uris)
        names = {(var.value if isinstance(var, ox.Variable) else str(var)): term
                 for var, term in (substitutions or {}).items()}
        return self.evaluate(sparql, dataset, names)




class Store(Protocol):
    """What every backend offers (``OxigraphStore``, ``RdflibStore``, ``RemoteStore``)."""

    version: str
    triple_count: int
    graph_sizes: dict[str, int]
    module_graphs: list[str]
    has_inferred: bool

    @property
    def graph_names(self) -> list[str]: ...

    def resolve_dataset(self, default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = (),
                        *, explicit: bool = False) -> QueryDataset: ...

    def query(self, sparql: str, *, substitutions: dict | None = None,
              default_graph_uris: Sequence[str] = (ASSERTED_GRAPH,), named_graph_uris: Sequence[str] = ()): ...

    def evaluate(self, sparql: str, dataset: QueryDataset, substitutions: Mapping[str, object] | None = None,
                 base_iri: str | None = None): ...

    def to_data(self) -> "LoadedData": ...


@dataclass(frozen=True)
class LoadedData:
    """What every backend is built from: each module's N-Triples and the inferred N-Triples."""

    module_graphs: list[str]
    module_ntriples: list[bytes]
    module_sizes: list[int]
    inferred: bytes | None = None
    #: the version tag, when the loader computed one from its inputs (else hashed from the triples)
    source_version: str | None = None

    @classmethod
    def from_modules(cls, modules: Sequence, inferred: bytes | None = None,
                     module_ntriples: Sequence[bytes] | None = None) -> "LoadedData":
        """Gather the modules' graphs (serialised unless ``module_ntriples`` is given)."""
        payloads = list(module_ntriples) if module_ntriples is not None else \
            [graph_to_ntriples(m.graph, m.iri) for m in modules]
        return cls([m.iri for m in modules], payloads, [len(m.graph) for m in modules], inferred)

    @property
    def version(self) -> str:
        """The loader's version tag, or else the content hash of every loaded triple."""
        if self.source_version is not None:
            return self.source_version
        parts = self.module_ntriples + ([self.inferred] if self.inferred is not None else [])
        return content_version(parts)

    @property
    def graph_sizes(self) -> dict[str, int]:
        """Triples per stored graph."""
        sizes = dict(zip(self.module_graphs, self.module_sizes))
        if self.inferred is not None:
            sizes[INFERRED_GRAPH] = self.inferred.count(b"\n")
        return sizes

    def graphs(self) -> Iterable[tuple[str, bytes]]:
        """Yield (graph IRI, N-Triples) for every stored graph."""
        yield from zip(self.module_graphs, self.module_ntriples)
        if self.inferred is not None:
            yield INFERRED_GRAPH, self.inferred

    def nquads(self) -> bytes:
        """Return every stored graph as one N-Quads document (what a remote endpoint must hold)."""
        lines = []
        for graph, data in self.graphs():
            suffix = f" <{graph}> .".encode()
            lines.extend(line.rstrip()[:-1].rstrip() + suffix for line in data.splitlines()
                         if line.strip() and not line.startswith(b"#"))
        return b"\n".join(lines) + b"\n"
