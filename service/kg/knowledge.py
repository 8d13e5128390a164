"""The knowledge base a service process answers from: modules, query store and (on demand) merged graph.

Built once per process by the app factory and shared read-only by every request. Loading parses
the module files with Oxigraph straight into the store's named graphs; the merged rdflib graph
(``kb.graph``) is only built when something asks for it (/ontology, /validate). With the
``store_in_memory`` setting off, a graph version is loaded that way once, written to an on-disk
snapshot with a description of its modules beside it, and then every process opens that snapshot
read-only instead (see ``load_store``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Sequence

import pyoxigraph as ox
from rdflib import Graph

from service.store import open_store
from service.config import Settings
from service.kg.inference import InferenceRule, load_rules, materialise_into
from service.kg.ontology import Module, extension_files, file_digest, load_modules_into, merge, read_catalog
from service.paths import CATALOG_FILE, ONTOLOGY_HEADER
from service.store.oxigraph import (INFERRED_GRAPH, LoadedData, OxigraphStore, return_freed_memory, snapshot_lock,
                           snapshot_path)

log = logging.getLogger(__name__)

#: bump when the way files become graphs changes, so versions (and caches keyed by them) move on
LOADER_GENERATION = b"lbp-kg loader 2"

_graph_lock = threading.Lock()


@dataclass
class KnowledgeBase:
    """Everything loaded from the ontology: the modules and the store (and the merged graph on demand).

    ``store`` is the configured backend's store (OxigraphStore by default; see service.store.oxigraph
    for the interface every backend offers).
    """

    modules: list[Module]
    store: OxigraphStore
    load_seconds: float = 0.0
    extras: dict = field(default_factory=dict)

    @cached_property
    def graph(self) -> Graph:
        """The asserted triples of every module as one rdflib Graph, parsed from the files on first use.

        Slow and large for big graphs (rdflib holds every triple as Python objects), so only
        whole-ontology work uses it: /ontology downloads and /validate. Parsed from the files
        rather than dumped from the store, because Oxigraph keeps some literals in a canonical
        form (``"5"^^xsd:positiveInteger`` as an xsd:integer) and SHACL checks the datatypes.
        """
        with _graph_lock:
            built = self.__dict__.get("graph")  # another thread may have built it meanwhile
            return built if built is not None else merge(self.modules)

    @property
    def version(self) -> str:
        """The graph version tag: changes whenever an input file, the rules or reasoning change."""
        return self.store.version

    @property
    def ontology_version(self) -> str | None:
        """The owl:versionInfo of the bundled ontology header."""
        return self.modules[0].version if self.modules else None

    @classmethod
    def load(cls, settings: Settings) -> "KnowledgeBase":
        """Load the bundled ontology plus the configured extension modules."""
        started = time.perf_counter()
        modules, loaded = load_store(settings)
        store = open_store(settings, loaded)
        seconds = time.perf_counter() - started
        log.info("loaded %d modules, %d triples (%s inferred) in %.2f s (version %s, %s backend)",
                 len(modules), store.triple_count, store.graph_sizes.get(INFERRED_GRAPH, 0),
                 seconds, store.version, settings.backend)
        return cls(modules=modules, store=store, load_seconds=seconds)


def input_files(settings: Settings) -> list[Path]:
    """Every file the graph is made from: the header, the catalogue and what it maps, the extensions."""
    return [ONTOLOGY_HEADER, CATALOG_FILE, *read_catalog(CATALOG_FILE).values(),
            *extension_files(Path(settings.extensions_dir))]


def graph_version(files: Sequence[Path], rules: Sequence[InferenceRule] | None) -> str:
    """Return the version tag of the graph these files and rules make (no triple is serialised).

    A hash of each file's name and bytes, in order, and of the inference rules (or "no
    reasoning"): the same inputs give the same version in every process and after restarts.
    """
    digest = hashlib.sha256(LOADER_GENERATION + b"\0")
    for path in files:
        content = file_digest(path) if path.is_file() else "missing"
        digest.update(f"{path.name}\0{content}\0".encode("utf-8"))
    if rules is None:
        digest.update(b"reasoning off\0")
    for rule in rules or ():
        digest.update(rule.name.encode("utf-8") + b"\0" + rule.text.encode("utf-8") + b"\0")
    return digest.hexdigest()[:16]


def load_store(settings: Settings) -> tuple[list[Module], OxigraphStore]:
    """Load the bundled and extension modules into an Oxigraph store, with inferences.

    In memory by default. With ``store_in_memory`` off, the store is the version's on-disk
    snapshot, opened read-only; only the first process to need a version builds it (in memory,
    then written to disk and released) while the others wait for it.
    """
    rules = load_rules() if settings.reasoning else None
    files = input_files(settings)
    version = graph_version(files, rules)
    if settings.store_in_memory:
        return _load_into_memory(settings, rules, version)
    with snapshot_lock(settings.cache_dir, version):
        found = _open_snapshot(settings.cache_dir, version, files)
        if found is not None:
            return found
        modules, loaded = _load_into_memory(settings, rules, version)
        on_disk = loaded.on_snapshot(settings.cache_dir)
        _write_description(on_disk.snapshot, modules, on_disk)
        del loaded  # the in-memory copy: the snapshot answers from now on
        return_freed_memory()
        return modules, on_disk


def _load_into_memory(settings: Settings, rules: list[InferenceRule] | None,
                      version: str) -> tuple[list[Module], OxigraphStore]:
    """Parse the module files into an in-memory store; add the inferences (cached on disk by version)."""
    store = ox.Store()
    modules = load_modules_into(store, extension_files(Path(settings.extensions_dir)))
    graph_sizes: dict[str, int] = {}
    for module in modules:
        graph_sizes[module.iri] = graph_sizes.get(module.iri, 0) + (module.triple_count or 0)
    if rules is not None:
        inferred = materialise_into(store, INFERRED_GRAPH, version,
                                    cache_dir=Path(settings.cache_dir) / "inference", rules=rules)
        graph_sizes[INFERRED_GRAPH] = inferred.triple_count
    loaded = OxigraphStore(store=store, module_graphs=list(dict.fromkeys(m.iri for m in modules)),
                           version=version, has_inferred=rules is not None, triple_count=len(store),
                           graph_sizes=graph_sizes)
    return modules, loaded


def _description_path(snapshot: Path) -> Path:
    return snapshot.with_suffix(".modules.json")


def _write_description(snapshot: Path, modules: list[Module], store: OxigraphStore) -> None:
    """Write what a snapshot holds beside it: its modules and graph sizes (read instead of parsing)."""
    description = {"modules": [m.as_record() for m in modules], "graph_sizes": store.graph_sizes}
    target = _description_path(snapshot)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, suffix=".tmp", delete=False,
                                     encoding="utf-8") as handle:
        json.dump(description, handle)
    os.replace(handle.name, target)  # readers never see half a description


def _open_snapshot(cache_dir: str, version: str,
                   files: Sequence[Path]) -> tuple[list[Module], OxigraphStore] | None:
    """Return the modules and the read-only store of the version's snapshot, or None if there is none.

    None too when the snapshot's modules are not where these input files are (a moved checkout
    makes the same version): their files must be found for /ontology and /validate.
    """
    snapshot = snapshot_path(cache_dir, version)
    try:
        description = json.loads(_description_path(snapshot).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    modules = [Module.from_record(record) for record in description["modules"]]
    if not snapshot.is_dir() or not {m.path for m in modules} <= {f.resolve() for f in files}:
        return None
    store = OxigraphStore.from_snapshot(snapshot, version=version,
                                        module_graphs=list(dict.fromkeys(m.iri for m in modules)),
                                        has_inferred=INFERRED_GRAPH in description["graph_sizes"],
                                        graph_sizes=description["graph_sizes"])
    return modules, store


def load_data(settings: Settings) -> tuple[list[Module], LoadedData]:
    """Read the bundled and extension modules; return them and the graphs every backend loads."""
    modules, loaded = load_store(settings)
    return modules, loaded.to_data()
