"""The query store: the ontology's modules as named graphs in Oxigraph, queried with SPARQL 1.1.

Each module is kept in a named graph whose name is the module's ontology IRI; inferred triples
(when reasoning is on) go in ``INFERRED_GRAPH``. The default graph of a query is the union of all
of them unless the request names graphs (``default-graph-uri``); ``ASSERTED_GRAPH`` is a virtual
name for "every module graph, without the inferences".
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import pyoxigraph as ox

if TYPE_CHECKING:  # query worker processes import this module; they need no rdflib
    from rdflib import Graph

    from service.ontology import Module

GRAPH_BASE = "https://w3id.org/lbp-kg/graph/"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
ASSERTED_GRAPH = GRAPH_BASE + "asserted"


#: Snapshots of other versions older than this are removed when a new one is written.
STALE_SNAPSHOT_SECONDS = 24 * 3600


class UnknownGraphError(ValueError):
    """A request named a graph the service does not hold."""


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset of one query, as graph IRIs the store holds.

    ``default_graphs`` None means "the union of every graph"; ``named_graphs`` None means "every
    graph". Plain strings, so a dataset can be sent to a query worker process.
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


def open_snapshot(path: str | os.PathLike) -> ox.Store:
    """Open a snapshot written by ``OxigraphStore.write_snapshot`` for reading only."""
    return ox.Store.read_only(str(path))


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
    def from_modules(cls, modules: Sequence[Module], inferred: bytes | None = None,
                     module_ntriples: Sequence[bytes] | None = None) -> "OxigraphStore":
        """Load every module (and optionally inferred N-Triples) into a fresh store.

        ``module_ntriples``, when given, is each module's graph already serialised as N-Triples
        (the caller needed it anyway, e.g. for inference), so it is not serialised twice.
        """
        store = ox.Store()
        payloads = list(module_ntriples) if module_ntriples is not None else \
            [graph_to_ntriples(m.graph) for m in modules]
        sizes: dict[str, int] = {}
        for module, data in zip(modules, payloads):
            store.bulk_load(data, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(module.iri))
            sizes[module.iri] = len(module.graph)
        if inferred is not None:
            payloads.append(inferred)
            store.bulk_load(inferred, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(INFERRED_GRAPH))
            sizes[INFERRED_GRAPH] = inferred.count(b"\n")
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
                        named_graph_uris: Sequence[str] = ()) -> QueryDataset:
        """Check the named graphs and return the dataset they make (UnknownGraphError if foreign).

        No default graphs means the union of every graph; no named graphs means every graph.
        """
        return QueryDataset(
            default_graphs=tuple(self._graphs(default_graph_uris)) if default_graph_uris else None,
            named_graphs=tuple(self._graphs(named_graph_uris)) if named_graph_uris else None,
        )

    def query(self, sparql: str, *, substitutions: dict | None = None,
              default_graph_uris: Sequence[str] = (ASSERTED_GRAPH,), named_graph_uris: Sequence[str] = ()):
        """Run one of the service's own queries; by default over the asserted graphs only.

        The service's own queries (entity pages, named queries, the label index) report sourced
        claims, so they read what the modules assert and follow sub-properties themselves;
        materialised inferences would repeat those claims without their sources. /sparql
        answers over every graph unless the request names some (see ``resolve_dataset``).
        """
        options = self.resolve_dataset(default_graph_uris, named_graph_uris).query_options()
        if substitutions:
            options["substitutions"] = substitutions
        return self.store.query(sparql, **options)

    def write_snapshot(self, cache_dir: str | os.PathLike) -> Path:
        """Write the store to ``<cache_dir>/query-store/<version>`` once; return that directory.

        Query worker processes open the snapshot read-only instead of loading the data again.
        The copy is built in a temporary directory and renamed into place, so processes racing
        to write the same version never see a half-written store.
        """
        root = Path(cache_dir) / "query-store"
        target = root / self.version
        if target.is_dir():
            return target
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{self.version}-", dir=root))
        try:
            snapshot = ox.Store(str(building / "store"))
            snapshot.bulk_load(self.store.dump(format=ox.RdfFormat.N_QUADS), ox.RdfFormat.N_QUADS)
            snapshot.flush()
            del snapshot
            try:
                os.rename(building / "store", target)
            except OSError:
                if not target.is_dir():  # a racing process won if the target now exists
                    raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
        _remove_stale_snapshots(root, keep=target)
        return target


def _remove_stale_snapshots(root: Path, keep: Path) -> None:
    cutoff = time.time() - STALE_SNAPSHOT_SECONDS
    for entry in root.iterdir():
        if entry != keep and entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
