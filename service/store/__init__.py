"""The store backends beside the default in-memory Oxigraph one, and the factory that picks one.

``open_store(settings, loaded)`` returns the store the ``backend`` setting names, given the
in-memory Oxigraph store the modules were loaded into (see service.store.oxigraph for the interface every
backend offers):

- ``oxigraph`` (default): ``service.store.oxigraph.OxigraphStore``; HTTP queries run in killable worker
  processes over a read-only on-disk snapshot that every gunicorn worker shares;
- ``rdflib``: ``service.store.rdflib_store.RdflibStore``, the reference implementation (slow;
  queries run in-process with rdflib's own SPARQL engine, network features off);
- ``remote``: ``service.store.remote.RemoteStore``, which forwards every query to the SPARQL
  1.1 endpoint at ``remote_endpoint`` (the endpoint must hold the graphs ``LoadedData.nquads``
  writes; see docs/deployment.md).
"""
from __future__ import annotations

from service.store.interface import (ASSERTED_GRAPH, GRAPH_BASE, INFERRED_GRAPH, LoadedData, QueryDataset, Store,
                                     UnknownGraphError, graph_to_ntriples)
from service.store.oxigraph import OxigraphStore

__all__ = ["ASSERTED_GRAPH", "GRAPH_BASE", "INFERRED_GRAPH", "LoadedData", "OxigraphStore", "QueryDataset", "Store",
           "UnknownGraphError", "graph_to_ntriples", "open_store"]

BACKENDS = ("oxigraph", "rdflib", "remote")


def open_store(settings, loaded: OxigraphStore):
    """Return the store of the configured backend over the loaded graphs."""
    if settings.backend == "oxigraph":
        return loaded
    if settings.backend == "rdflib":
        from service.store.rdflib_store import RdflibStore

        return RdflibStore.from_data(loaded.to_data())
    if settings.backend == "remote":
        from service.store.remote import RemoteStore

        if not settings.remote_endpoint:
            raise ValueError("backend 'remote' needs remote_endpoint (LBP_KG_REMOTE_ENDPOINT), "
                             "the URL of a SPARQL 1.1 query endpoint")
        return RemoteStore.from_data(loaded.to_data(), settings.remote_endpoint, timeout=settings.query_timeout)
    raise ValueError(f"unknown backend {settings.backend!r}; choose one of {', '.join(BACKENDS)}")
