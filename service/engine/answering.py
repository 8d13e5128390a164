"""Write a backend's query result as the HTTP answer (shared by the in-process backends).

Results come in pyoxigraph's shapes (see service.store.oxigraph); they are written by service.engine.results, so
the row cap, the truncation marker and the bytes of every media type are the same whichever
backend answered.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from service.engine.executor import NotAcceptableResult, QueryJob
from service.engine.results import ResultNotAcceptable, SerializedResult, serialize_query_result, serialize_triples


def write_result(result, job: QueryJob, max_rows: int, prefixes: dict[str, str] | None) -> SerializedResult:
    """Serialise a query result in the media type the job chose for its kind."""
    if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean, ox.QueryTriples)):
        return serialize_query_result(result, solutions_type=job.solutions_type, graph_type=job.graph_type,
                                      max_rows=max_rows, prefixes=prefixes)
    if job.graph_type is None:
        raise ResultNotAcceptable("graph")
    return serialize_triples(result, job.graph_type, max_rows, prefixes)


@dataclass
class InProcessAnswerer:
    """What the rdflib and remote backends share: nothing to start or stop, one way to write."""

    store: object
    max_rows: int
    prefixes: dict[str, str]

    def write(self, result, job: QueryJob) -> SerializedResult:
        """Write a result for ``job``, raising the worker pool's error when no type fits."""
        try:
            return write_result(result, job, self.max_rows, self.prefixes)
        except ResultNotAcceptable as err:
            raise NotAcceptableResult(err.kind) from None

    def warm_up(self) -> None:
        """Nothing to start: queries are answered in the request's process."""

    def close(self) -> None:
        """Nothing to stop."""
