"""The knowledge base a service process answers from: modules, merged graph and query store.

Built once per process by the app factory and shared read-only by every request.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from service.config import Settings
from service.ontology import Module, extension_files, load_core_modules, load_extension_modules, merge
from service.inference import materialise
from service.backends import open_store
from service.store import INFERRED_GRAPH, LoadedData, OxigraphStore, graph_to_ntriples

log = logging.getLogger(__name__)


@dataclass
class KnowledgeBase:
    """Everything loaded from the ontology: modules, the merged rdflib graph and the store.

    ``store`` is the configured backend's store (OxigraphStore by default; see service.store
    for the interface every backend offers).
    """

    modules: list[Module]
    graph: Graph
    store: OxigraphStore
    load_seconds: float = 0.0
    extras: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        """The graph version tag: changes whenever any loaded triple changes."""
        return self.store.version

    @property
    def ontology_version(self) -> str | None:
        """The owl:versionInfo of the bundled ontology header."""
        return self.modules[0].version if self.modules else None

    @classmethod
    def load(cls, settings: Settings) -> "KnowledgeBase":
        """Load the bundled ontology plus the configured extension modules."""
        started = time.perf_counter()
        modules, data = load_data(settings)
        graph = merge(modules)
        store = open_store(settings, data)
        seconds = time.perf_counter() - started
        log.info("loaded %d modules, %d triples (%s inferred) in %.2f s (version %s, %s backend)",
                 len(modules), store.triple_count, store.graph_sizes.get(INFERRED_GRAPH, 0),
                 seconds, store.version, settings.backend)
        return cls(modules=modules, graph=graph, store=store, load_seconds=seconds)


def load_data(settings: Settings) -> tuple[list[Module], LoadedData]:
    """Read the bundled and extension modules; return them and the graphs every backend loads.

    The inferred graph comes from the on-disk cache when the asserted triples are unchanged.
    """
    modules = load_core_modules() + load_extension_modules(extension_files(Path(settings.extensions_dir)))
    asserted = [graph_to_ntriples(m.graph, m.iri) for m in modules]
    inferred = None
    if settings.reasoning:
        inferred = materialise(asserted, cache_dir=Path(settings.cache_dir) / "inference").ntriples
    return modules, LoadedData.from_modules(modules, inferred, module_ntriples=asserted)
