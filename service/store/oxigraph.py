"""The store interface: the ontology's modules as named graphs, queried with SPARQL 1.1.

Each module is kept in a named graph whose name is the module's ontology IRI; inferred triples
(when reasoning is on) go in ``INFERRED_GRAPH``. The default graph of a query is the union of all
of them unless the request names graphs (``default-graph-uri``); ``ASSERTED_GRAPH`` is a virtual
name for "every module graph, without the inferences".

Every backend (``OxigraphStore`` here, the default; ``service.store.rdflib_store`` and
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
- ``answerer(settings, prefixes)``: what answers HTTP queries (``/sparql``, ``/queries``): an
  object with ``run(QueryJob) -> SerializedResult`` raising ``service.engine.executor.QueryError``s,
  ``warm_up()`` and ``close()``. For Oxigraph that is the pool of killable worker processes.
"""
from __future__ import annotations

import ctypes
import fcntl
import gc
import hashlib
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import pyoxigraph as ox

if TYPE_CHECKING:  # query worker processes import this module; they need no rdflib
    from rdflib import Graph

    from service.kg.ontology import Module

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


def open_snapshot(path: str | os.PathLike) -> ox.Store:
    """Open a snapshot written by ``OxigraphStore.write_snapshot`` for reading only."""
    return ox.Store.read_only(str(path))


def snapshot_path(cache_dir: str | os.PathLike, version: str) -> Path:
    """Return where ``OxigraphStore.write_snapshot`` keeps the snapshot of a graph version."""
    return Path(cache_dir) / "query-store" / version


@contextmanager
def snapshot_lock(cache_dir: str | os.PathLike, version: str) -> Iterator[None]:
    """Hold one graph version's snapshot lock: the first process builds it, the others wait for it.

    Without it every gunicorn worker starting on a new version would load, reason over and write
    the same graph at once, each with a full in-memory copy.
    """
    path = snapshot_path(cache_dir, version).with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    def from_modules(cls, modules: Sequence[Module], inferred: bytes | None = None,
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


@dataclass
class OxigraphStore(GraphNames):
    """An Oxigraph store holding one named graph per module (the default backend).

    In memory, or read-only over its on-disk snapshot (``snapshot``), which every process that
    opens it shares through the page cache.
    """

    store: ox.Store
    module_graphs: list[str]
    version: str
    has_inferred: bool = False
    triple_count: int = 0
    graph_sizes: dict[str, int] = field(default_factory=dict)
    #: the snapshot directory ``store`` reads, or None when the store is in memory
    snapshot: Path | None = None

    @classmethod
    def from_snapshot(cls, path: str | os.PathLike, *, version: str, module_graphs: Sequence[str],
                      has_inferred: bool, graph_sizes: dict[str, int]) -> "OxigraphStore":
        """Open a snapshot read-only; what it holds is described by the caller (nothing is counted)."""
        _mark_in_use(Path(path))
        return cls(store=open_snapshot(path), module_graphs=list(module_graphs), version=version,
                   has_inferred=has_inferred, triple_count=sum(graph_sizes.values()),
                   graph_sizes=dict(graph_sizes), snapshot=Path(path))

    def on_snapshot(self, cache_dir: str | os.PathLike) -> "OxigraphStore":
        """Return this store read from its snapshot (written first if need be) instead of memory."""
        return self.from_snapshot(self.write_snapshot(cache_dir), version=self.version,
                                  module_graphs=self.module_graphs, has_inferred=self.has_inferred,
                                  graph_sizes=self.graph_sizes)

    @classmethod
    def from_modules(cls, modules: Sequence[Module], inferred: bytes | None = None,
                     module_ntriples: Sequence[bytes] | None = None) -> "OxigraphStore":
        """Load every module (and optionally inferred N-Triples) into a fresh store.

        ``module_ntriples``, when given, is each module's graph already serialised as N-Triples
        (the caller needed it anyway, e.g. for inference), so it is not serialised twice.
        """
        return cls.from_data(LoadedData.from_modules(modules, inferred, module_ntriples))

    @classmethod
    def from_data(cls, data: LoadedData) -> "OxigraphStore":
        """Bulk-load the loaded graphs into a fresh in-memory store."""
        store = ox.Store()
        for graph, payload in data.graphs():
            store.bulk_load(payload, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        sizes = data.graph_sizes
        return cls(store=store, module_graphs=list(data.module_graphs), version=data.version,
                   has_inferred=data.inferred is not None, triple_count=sum(sizes.values()),
                   graph_sizes=sizes)

    def graph_ntriples(self, graph: str) -> bytes:
        """Return one stored graph as N-Triples (blank nodes keep their store-wide names)."""
        return self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))

    def to_data(self) -> LoadedData:
        """Return the loaded graphs as N-Triples, for building another backend from this store.

        Lines are sorted, so stores built from the same data see the triples in the same order
        (the order of an unordered aggregate such as GROUP_CONCAT follows it).
        """
        modules = list(dict.fromkeys(self.module_graphs))

        def sorted_ntriples(graph: str) -> bytes:
            return b"".join(sorted(self.graph_ntriples(graph).splitlines(keepends=True)))

        return LoadedData(modules, [sorted_ntriples(g) for g in modules],
                          [self.graph_sizes.get(g, 0) for g in modules],
                          sorted_ntriples(INFERRED_GRAPH) if self.has_inferred else None,
                          source_version=self.version)

    def answerer(self, settings, prefixes: dict[str, str]):
        """Return the pool of killable query worker processes over a snapshot of this store."""
        from service.engine.executor import QueryExecutor

        return QueryExecutor(store=self, cache_dir=settings.cache_dir, timeout=settings.query_timeout,
                             max_rows=settings.max_rows, workers=settings.query_workers, prefixes=prefixes,
                             memory_mb=settings.worker_memory_mb or None)

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
        to write the same version never see a half-written store. A store read from its
        snapshot returns that snapshot.
        """
        if self.snapshot is not None:
            return self.snapshot
        target = snapshot_path(cache_dir, self.version)
        root = target.parent
        if target.is_dir():
            _mark_in_use(target)
            return target
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{self.version}-", dir=root))
        try:
            snapshot = ox.Store(str(building / "store"))
            snapshot.bulk_extend(self.store)  # streamed: no dump of the whole store in memory
            snapshot.flush()
            del snapshot
            return_freed_memory()  # the write's buffers, as large as the store again
            try:
                os.rename(building / "store", target)
            except OSError:
                if not target.is_dir():  # a racing process won if the target now exists
                    raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
        _remove_stale_snapshots(root, keep=target)
        return target


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while an index is built.

    An index is a few hundred thousand small objects and no reference cycles; the collector would
    walk the growing heap again and again while they are made (half the build time at 1M triples).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def return_freed_memory() -> None:
    """Hand freed heap pages back to the system after a large store or snapshot write is released.

    glibc keeps them for reuse, so a process that built 1M triples in memory and then let them go
    would stay ~700 MiB larger than what it holds. Elsewhere (no malloc_trim) there is nothing to do.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _mark_in_use(snapshot: Path) -> None:
    """Touch a snapshot being opened: writers of other versions only remove snapshots unused for a day."""
    try:
        os.utime(snapshot)
    except OSError:  # a read-only cache: nothing writes there, so nothing removes it either
        pass


def _remove_stale_snapshots(root: Path, keep: Path) -> None:
    """Remove what other versions left unused for a day: snapshots and the files beside them.

    (Their locks, module descriptions and label indexes, all named ``<version>.*``.)
    """
    cutoff = time.time() - STALE_SNAPSHOT_SECONDS
    for entry in root.iterdir():
        try:
            if entry.name.split(".")[0] == keep.name or entry.stat().st_mtime >= cutoff:
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
        except FileNotFoundError:  # another writer removed it first
            continue
