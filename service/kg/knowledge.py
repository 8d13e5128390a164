"""The knowledge base a service process answers from: modules, query store and (on demand) merged graph.

Built once per process by the app factory and shared read-only by every request. Loading parses
the module files with Oxigraph straight into the store's named graphs; the merged rdflib graph
(``kb.graph``) is only built when something asks for it (/ontology, /validate).
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Sequence

import pyoxigraph as ox
from rdflib import Graph

from service.store import open_store
from service.config import Settings
from service.kg.jsonld import serialize_graph
from service.kg.media_types import OBO_TYPE
from service.kg.obo_export import to_obo
from service.kg.label_cache import cached_label_index
from service.kg.labels import LabelIndex
from service.kg.inference import InferenceRule, load_rules, materialise_into
from service.kg.ontology import Module, extension_files, file_digest, load_modules_into, merge, read_catalog
from service.paths import CATALOG_FILE, ONTOLOGY_HEADER
from service.store import INFERRED_GRAPH, LoadedData, OxigraphStore, Store

log = logging.getLogger(__name__)

#: bump when the way files become graphs changes, so versions (and caches keyed by them) move on
LOADER_GENERATION = b"lbp-kg loader 2"

_graph_lock = threading.RLock()


@dataclass
class KnowledgeBase:
    """One version of the graph and everything derived from it.

    The modules and the store (the configured backend's; ``service.store.interface`` has the
    interface), and, built on first use and kept for this version only: the merged rdflib graph,
    the label index, the ontology serialised per media type, and ``extras`` (what the web layer
    derives: the query answerer, the validation workers, the service description). A reload builds
    a new KnowledgeBase and swaps the one reference the app holds, so nothing derived from an old
    version is ever served with a new one.
    """

    modules: list[Module]
    store: Store
    load_seconds: float = 0.0
    #: where the label index of this version is cached on disk (None: built, never cached)
    cache_dir: str | None = None
    extras: dict = field(default_factory=dict)

    @cached_property
    def labels(self) -> LabelIndex:
        """The label index of this version (read from the cache when another process built it)."""
        with _graph_lock:
            built = self.__dict__.get("labels")
            if built is not None:
                return built
            if self.cache_dir:
                return cached_label_index(self.store, self.cache_dir)
            return LabelIndex.from_store(self.store)

    def derived(self, key, build: Callable[[], object]):
        """Return what ``build`` makes from this version, built once however many threads ask."""
        value = self.extras.get(key)
        if value is None:
            with _graph_lock:
                value = self.extras.get(key)
                if value is None:
                    value = self.extras[key] = build()
        return value

    def ontology_bytes(self, media_type: str) -> bytes:
        """Return the whole ontology of this version in ``media_type`` (serialised once)."""
        def serialise() -> bytes:
            if media_type == OBO_TYPE:  # the OBO view of the loaded graph (service.kg.obo_export)
                return to_obo(self.graph, "lbp-kg", self.ontology_version or "").encode()
            return serialize_graph(self.graph, media_type, first=self.modules[0].iri if self.modules else None)
        return self.derived(("ontology_bytes", media_type), serialise)

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
    def load(cls, settings: Settings, extensions: Sequence[Path] | None = None) -> "KnowledgeBase":
        """Load the bundled ontology plus the given extension files (default: the extensions directory's)."""
        started = time.perf_counter()
        modules, loaded = load_store(settings, extensions)
        store = open_store(settings, loaded)
        seconds = time.perf_counter() - started
        log.info("loaded %d modules, %d triples (%s inferred) in %.2f s (version %s, %s backend)",
                 len(modules), store.triple_count, store.graph_sizes.get(INFERRED_GRAPH, 0),
                 seconds, store.version, settings.backend)
        return cls(modules=modules, store=store, load_seconds=seconds, cache_dir=settings.cache_dir)


def input_files(settings: Settings, extensions: Sequence[Path] | None = None) -> list[Path]:
    """Every file the graph is made from: the header, the catalogue and what it maps, the extensions."""
    return [ONTOLOGY_HEADER, CATALOG_FILE, *read_catalog(CATALOG_FILE).values(),
            *_extensions(settings, extensions)]


def _extensions(settings: Settings, extensions: Sequence[Path] | None) -> list[Path]:
    return list(extensions) if extensions is not None else extension_files(Path(settings.extensions_dir))


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


def load_store(settings: Settings, extensions: Sequence[Path] | None = None) -> tuple[list[Module], OxigraphStore]:
    """Load the bundled and extension modules into an in-memory Oxigraph store, with inferences."""
    rules = load_rules() if settings.reasoning else None
    if not settings.store_in_memory:
        log.warning("store_in_memory=false is no longer supported: the graph is held in memory; graphs "
                    "that outgrow one process go to a remote engine (docs/deployment.md)")
    files = _extensions(settings, extensions)
    return _load_into_memory(settings, rules, graph_version(input_files(settings, files), rules), files)


def _load_into_memory(settings: Settings, rules: list[InferenceRule] | None,
                      version: str, extensions: Sequence[Path]) -> tuple[list[Module], OxigraphStore]:
    """Parse the module files into an in-memory store; add the inferences (cached on disk by version)."""
    store = ox.Store()
    modules = load_modules_into(store, extensions)
    graph_sizes: dict[str, int] = {}
    for module in modules:
        graph_sizes[module.iri] = graph_sizes.get(module.iri, 0) + (module.triple_count or 0)
    if rules is not None:
        inferred = materialise_into(store, version,
                                    cache_dir=Path(settings.cache_dir) / "inference", rules=rules)
        graph_sizes[INFERRED_GRAPH] = inferred.triple_count
    loaded = OxigraphStore(store=store, module_graphs=list(dict.fromkeys(m.iri for m in modules)),
                           version=version, has_inferred=rules is not None, triple_count=len(store),
                           graph_sizes=graph_sizes)
    return modules, loaded


def load_data(settings: Settings) -> tuple[list[Module], LoadedData]:
    """Read the bundled and extension modules; return them and the graphs every backend loads."""
    modules, loaded = load_store(settings)
    return modules, loaded.to_data()
