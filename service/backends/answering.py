"""Write a backend's query result as the HTTP answer (shared by the in-process backends).

Results come in pyoxigraph's shapes (see service.store); they are written by service.results, so
the row cap, the truncation marker and the bytes of every media type are the same whichever
backend answered.
"""
from __future__ import annotations

import pyoxigraph as ox

from service.executor import QueryJob
from service.results import ResultNotAcceptable, SerializedResult, serialize_query_result, serialize_triples


def write_result(result, job: QueryJob, max_rows: int, prefixes: dict[str, str] | None) -> SerializedResult:
    """Serialise a query result in the media type the job chose for its kind."""
    if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean, ox.QueryTriples)):
        return serialize_query_result(result, solutions_type=job.solutions_type, graph_type=job.graph_type,
                                      max_rows=max_rows, prefixes=prefixes)
    if job.graph_type is None:
        raise ResultNotAcceptable("graph")
    return serialize_triples(result, job.graph_type, max_rows, prefixes)
