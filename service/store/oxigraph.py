"""The default backend: an embedded Oxigraph store holding one named graph per module.

Also the read-only on-disk snapshots that sandboxed query workers open (``write_snapshot``,
``open_snapshot``), and the memory helpers used while loading large graphs.
"""
from __future__ import annotations

import ctypes
import fcntl
import functools
import gc
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import pyoxigraph as ox

from service.store.interface import INFERRED_GRAPH, EvaluatingStore, LoadedData, QueryDataset
from service.store.sparql_tokens import tokenize

#: Snapshots of other versions older than this are removed when a new one is written.
STALE_SNAPSHOT_SECONDS = 24 * 3600




def evaluate_on(store: ox.Store, sparql: str, dataset: QueryDataset | None,
                substitutions: Mapping[str, object] | None = None, base_iri: str | None = None):
    """Evaluate a query on a pyoxigraph store (in this process, or in a worker over a snapshot).

    ``dataset`` None: over the store's own default graph.
    """
    options = dataset.query_options() if dataset is not None else {}
    if base_iri:
        options["base_iri"] = base_iri
    if substitutions:
        options["substitutions"] = {ox.Variable(name): term for name, term in substitutions.items()}
    return store.query(sparql, **options)


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



@dataclass
class OxigraphStore(EvaluatingStore):
    """An Oxigraph store holding one named graph per module, in this process's memory (the default).

    Graphs that outgrow one process go to an engine people already run, through the remote
    backend (docs/deployment.md), not to home-made storage modes here.

    ``query`` (from ``EvaluatingStore``) runs the service's own queries over the asserted graphs
    by default: entity pages, named queries and the label index report sourced claims, so they
    read what the modules assert and follow sub-properties themselves; materialised inferences
    would repeat those claims without their sources. /sparql answers over every graph unless the
    request names some (see ``resolve_dataset``).
    """

    store: ox.Store
    module_graphs: list[str]
    version: str
    has_inferred: bool = False
    triple_count: int = 0
    graph_sizes: dict[str, int] = field(default_factory=dict)
    #: the modules' triples again, merged into one default graph: what the service's own queries
    #: read (built from ``store`` unless given; see ``_asserted_for``)
    asserted: ox.Store | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.asserted is None and self.module_graphs:
            self.asserted = merged_default_graph(self.store, self.module_graphs)

    @classmethod
    def from_modules(cls, modules: Sequence, inferred: bytes | None = None,
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

    def evaluate(self, sparql: str, dataset: QueryDataset, substitutions: Mapping[str, object] | None = None,
                 base_iri: str | None = None):
        """Evaluate any query over a dataset (``substitutions``: variable name -> term)."""
        asserted = self._asserted_for(sparql, dataset)
        if asserted is not None:
            return evaluate_on(asserted, sparql, None, substitutions, base_iri)
        return evaluate_on(self.store, sparql, dataset, substitutions, base_iri)

    def _asserted_for(self, sparql: str, dataset: QueryDataset) -> ox.Store | None:
        """The merged copy of the modules, when it answers this query over this dataset alike.

        Oxigraph evaluates every pattern once per graph of a default graph given as a list, so
        over the seven modules the service's own queries took 2-3 times as long as over one graph
        holding the same triples (muscles-by-spinal-level 0.70 -> 0.27 ms, compensators 4.2 ->
        1.4 ms, lower-crossed-pattern 22 -> 12 ms, bundled ontology). The copy costs memory (about
        38 MiB a process per 100k triples), and it holds no named graphs: a query that names
        graphs itself (GRAPH, FROM, SERVICE) reads the store.
        """
        if (self.asserted is None or dataset.default_graphs is None
                or set(dataset.default_graphs) != set(self.module_graphs)
                or dataset.named_graphs not in (None, ())):
            return None
        return None if names_graphs(sparql) else self.asserted

    def write_snapshot(self, cache_dir: str | os.PathLike) -> Path:
        """Write the store to ``<cache_dir>/query-store/<version>`` once; return that directory.

        Query worker processes open the snapshot read-only instead of loading the data again.
        The copy is built in a temporary directory and renamed into place, so processes racing
        to write the same version never see a half-written store. A store read from its
        snapshot returns that snapshot.
        """
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


def merged_default_graph(store: ox.Store, graphs: Sequence[str]) -> ox.Store:
    """A new in-memory store holding the triples of ``graphs`` in its default graph.

    Copied as N-Triples in Oxigraph itself (no Python object per triple): blank nodes keep the
    store's names, so an answer's blank nodes are the ones a query of the store would name.
    """
    merged = ox.Store()
    for graph in dict.fromkeys(graphs):
        merged.bulk_load(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph)),
                         ox.RdfFormat.N_TRIPLES)
    return merged


@functools.lru_cache(maxsize=512)
def names_graphs(sparql: str) -> bool:
    """Whether a query chooses graphs itself (GRAPH, FROM, SERVICE): cached, the texts are few."""
    return any(token.is_word("GRAPH", "FROM", "SERVICE") for token in tokenize(sparql))


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
