"""The one request path for running SPARQL: guard, dataset, negotiation, worker, HTTP response.

Used by /sparql and by the named queries; both get the same safety checks, time limit, row cap,
media types and JSON errors.
"""
from __future__ import annotations

import threading
from typing import Mapping, Sequence

import pyoxigraph as ox
from flask import Response, current_app, request

from service.config import Settings
from service.errors import ApiError
from service.executor import (NotAcceptableResult, QueryEvaluationError, QueryExecutor, QueryFailed,
                              QueryJob, QuerySyntaxError, QueryTimeout, WorkersBusy)
from service.knowledge import KnowledgeBase
from service.negotiation import GRAPH_TYPES, NotAcceptable, SOLUTION_TYPES, choose_media_type
from service.ontology import prefixes
from service.query_guard import QueryRefused, inspect_query
from service.store import UnknownGraphError

TRUNCATED_HEADER = "X-LBP-Truncated"
#: seconds a client is told to wait after a 503
RETRY_AFTER_SECONDS = 5

_executor_lock = threading.Lock()


class ApiErrorWithHeaders(ApiError):
    """An ApiError whose response carries extra headers (Retry-After, Allow ...)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str], **details):
        super().__init__(status, message, **details)
        self.headers = dict(headers)

    def to_response(self):
        response = super().to_response()
        response.headers.update(self.headers)
        return response


def query_executor(kb: KnowledgeBase) -> QueryExecutor:
    """Return the knowledge base's query executor, creating it (without starting workers) once."""
    executor = kb.extras.get("query_executor")
    if executor is None:
        with _executor_lock:
            executor = kb.extras.get("query_executor")
            if executor is None:
                settings = current_app.extensions.get("lbp_kg.settings") or Settings()
                executor = QueryExecutor(store=kb.store, cache_dir=settings.cache_dir,
                                         timeout=settings.query_timeout, max_rows=settings.max_rows,
                                         workers=settings.query_workers, prefixes=prefixes())
                kb.extras["query_executor"] = executor
    return executor


def _acceptable(offered: tuple[str, ...]) -> str | None:
    try:
        return choose_media_type(request.accept_mimetypes, offered, request.args.get("format"))
    except NotAcceptable:
        return None


def _not_acceptable(kind: str) -> ApiError:
    offered = GRAPH_TYPES if kind == "graph" else SOLUTION_TYPES
    what = {"solutions": "SELECT results", "boolean": "ASK results",
            "graph": "CONSTRUCT and DESCRIBE results"}.get(kind, "this result")
    return ApiError(406, f"{what} can be served as: {', '.join(offered)}", available=list(offered))


def _substitutions(substitutions: Mapping | None) -> tuple[tuple[str, object], ...]:
    if not substitutions:
        return ()
    return tuple((var.value if isinstance(var, ox.Variable) else str(var).lstrip("?$"), term)
                 for var, term in substitutions.items())


def respond_to_query(kb: KnowledgeBase, sparql_text: str, *, substitutions: Mapping | None = None,
                     default_graph_uris: Sequence[str] = (),
                     named_graph_uris: Sequence[str] = ()) -> Response:
    """Answer a SPARQL query in the negotiated media type, or raise an ApiError (JSON error).

    ``substitutions`` maps pyoxigraph Variables to terms (bound before evaluation). Graph URIs
    given here (the protocol's dataset) replace any FROM / FROM NAMED in the query; graphs must be
    the service's own. Must be called inside a request (it reads Accept and ``?format=``).
    """
    # request.base_url re-encodes the whole URL (~50 us); this is the same IRI for a base
    base_iri = f"{request.scheme}://{request.host}{request.root_path}{request.path}"
    try:
        inspection = inspect_query(sparql_text, base_iri)
    except QueryRefused as err:
        raise ApiError(400, str(err)) from None
    if default_graph_uris or named_graph_uris:
        defaults, named = default_graph_uris, named_graph_uris
    else:
        defaults, named = inspection.from_graphs, inspection.from_named_graphs
    try:
        dataset = kb.store.resolve_dataset(defaults, named)
    except UnknownGraphError as err:
        raise ApiError(400, str(err), graphs=kb.store.graph_names) from None

    solutions_type, graph_type = _acceptable(SOLUTION_TYPES), _acceptable(GRAPH_TYPES)
    if solutions_type is None and graph_type is None:
        raise ApiError(406, "cannot produce any media type the Accept header (or format=) allows",
                       available=list(SOLUTION_TYPES + GRAPH_TYPES))

    job = QueryJob(sparql=sparql_text, dataset=dataset, substitutions=_substitutions(substitutions),
                   solutions_type=solutions_type, graph_type=graph_type, base_iri=base_iri)
    try:
        result = query_executor(kb).run(job)
    except QuerySyntaxError as err:
        raise ApiError(400, f"malformed query: {err}", line=err.line, column=err.column) from None
    except QueryEvaluationError as err:
        raise ApiError(400, f"the query could not be evaluated: {err}") from None
    except NotAcceptableResult as err:
        raise _not_acceptable(err.kind) from None
    except (QueryTimeout, WorkersBusy) as err:
        raise ApiErrorWithHeaders(503, str(err), {"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    except QueryFailed as err:
        raise ApiError(500, f"the query failed: {err}") from None

    response = Response(result.body, mimetype=result.media_type)
    response.vary.add("Accept")
    if result.truncated:
        response.headers[TRUNCATED_HEADER] = "true"
    return response
