"""Pick what answers the service's queries for the configured backend.

- An embedded store (Oxigraph, rdflib): ``QueryExecutor``, which runs the service's own queries
  in process and every client query in a sandboxed worker over a copy of the store.
- A remote engine: ``RemoteAnswerer``, which forwards every query to the engine (after the query
  guard, like every client query) and writes the answer as the embedded stores' answers are
  written, so the row cap and the bytes of each media type are the same whichever engine answered.

Each answerer offers ``run(QueryJob) -> SerializedResult`` (raising ``service.store.errors``),
``warm_up()`` and ``close()``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from service.engine.executor import QueryExecutor, QueryJob
from service.engine.results import ResultNotAcceptable, SerializedResult, write_result
from service.store.errors import NotAcceptableResult
from service.store.interface import Store
from service.store.remote import RemoteStore


class Answerer(Protocol):
    """What answers query jobs for one knowledge base."""

    def run(self, job: QueryJob) -> SerializedResult: ...

    def warm_up(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class RemoteAnswerer:
    """Answer jobs by forwarding them to the remote engine (see the module docstring)."""

    store: RemoteStore
    max_rows: int
    prefixes: dict[str, str]

    def run(self, job: QueryJob) -> SerializedResult:
        """Answer one job, or raise a QueryError (the same ones the worker pool raises)."""
        return self.store.evaluate(job.sparql, job.dataset, dict(job.substitutions), job.base_iri,
                                   consume=self._write_for(job))

    def _write_for(self, job: QueryJob):
        def write(result) -> SerializedResult:
            try:
                return write_result(result, job.solutions_type, job.graph_type, self.max_rows, self.prefixes)
            except ResultNotAcceptable as err:
                raise NotAcceptableResult(err.kind) from None
        return write

    def warm_up(self) -> None:
        """Nothing to start: the engine answers."""

    def close(self) -> None:
        """Nothing to stop."""


def answerer_for(store: Store, settings, prefixes: dict[str, str]) -> Answerer:
    """Return what answers the store's queries under these settings."""
    if isinstance(store, RemoteStore):
        return RemoteAnswerer(store, max_rows=settings.max_rows, prefixes=prefixes)
    return QueryExecutor(store=store, cache_dir=settings.cache_dir, timeout=settings.query_timeout,
                         max_rows=settings.max_rows, workers=settings.query_workers, prefixes=prefixes,
                         memory_mb=settings.worker_memory_mb or None)
