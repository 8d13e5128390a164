"""The one request path for running SPARQL: guard, dataset, negotiation, backend, HTTP response.

Used by /sparql and by the named queries; both get the same safety checks, time limit, row cap,
media types, JSON errors and HTTP caching (service.web.http_cache), whichever backend answers.
"""
from __future__ import annotations

from typing import Hashable, Mapping, Sequence

import pyoxigraph as ox
from flask import Response, current_app, request

from service.web import http_cache
from service.config import Settings
from service.web.errors import RETRY_AFTER_SECONDS, ApiError
from service.engine.answering import answerer_for
from service.engine.executor import QueryJob
from service.store.errors import (EndpointFailed, EndpointUnavailable, NotAcceptableResult, QueryEvaluationError,
                                  QueryFailed, QuerySyntaxError, QueryTimeout, QueryTooCostly, WorkersBusy)
from service.kg.knowledge import KnowledgeBase
from service.web.negotiation import (FORMAT_ALIASES, GRAPH_TYPES, SOLUTION_TYPES, answer_media_types,
                                     not_acceptable_message)
from service.kg.vocabulary import prefixes
from service.engine.query_guard import QueryInspection, QueryRefused, answer_kind, inspect_query
from service.engine.results import SerializedResult
from service.store import UnknownGraphError

TRUNCATED_HEADER = "X-LBP-Truncated"
#: where a knowledge base keeps the executor of its HTTP queries (KnowledgeBase.extras)
QUERY_EXECUTOR_KEY = "query_executor"

class ApiErrorWithHeaders(ApiError):
    """An ApiError whose response carries extra headers (Retry-After, Allow ...)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str], **details):
        super().__init__(status, message, **details)
        self.headers = dict(headers)

    def to_response(self):
        response = super().to_response()
        response.headers.update(self.headers)
        return response


def _settings() -> Settings:
    return current_app.extensions.get("lbp_kg.settings") or Settings()


def query_executor(kb: KnowledgeBase):
    """Return what answers the knowledge base's HTTP queries, created (not started) once.

    For the Oxigraph backend that is the QueryExecutor (a pool of worker processes); other
    backends give their own answerer with the same ``run``, ``warm_up`` and ``close``.
    """
    return kb.derived(QUERY_EXECUTOR_KEY, lambda: answerer_for(kb.store, _settings(), prefixes()))


def started_query_executor(kb: KnowledgeBase):
    """The knowledge base's query executor if a query has created it, else None (nothing to close)."""
    return kb.extras.get(QUERY_EXECUTOR_KEY)


#: What each kind of answer can be served as, and what to call it in a 406.
_KIND_TYPES = {"solutions": ("SELECT results", SOLUTION_TYPES), "boolean": ("ASK results", SOLUTION_TYPES),
               "graph": ("CONSTRUCT and DESCRIBE results", GRAPH_TYPES)}


def _not_acceptable(kind: str, format_param: str | None) -> ApiError:
    what, offered = _KIND_TYPES.get(kind, ("this result", SOLUTION_TYPES + GRAPH_TYPES))
    return ApiError(406, not_acceptable_message(offered, format_param, what), available=list(offered),
                    formats=sorted(alias for alias, media in FORMAT_ALIASES.items() if media in offered))


def _substitutions(substitutions: Mapping | None) -> tuple[tuple[str, object], ...]:
    if not substitutions:
        return ()
    return tuple((var.value if isinstance(var, ox.Variable) else str(var).lstrip("?$"), term)
                 for var, term in substitutions.items())


def _negotiate_types(environ: dict, args, sparql_text: str) -> tuple[str | None, str | None]:
    """Choose the media types up front; 406 listing exactly what this query's kind can be served as."""
    format_param = args.get("format")
    types = answer_media_types(environ.get("HTTP_ACCEPT"), format_param)
    kind = answer_kind(sparql_text)
    chosen = types[1] if kind == "graph" else types[0] if kind else (types[0] or types[1])
    if chosen is None:
        raise _not_acceptable(kind or "unknown", format_param)
    return types


def respond_to_query(kb: KnowledgeBase, sparql_text: str, *, substitutions: Mapping | None = None,
                     default_graph_uris: Sequence[str] = (),
                     named_graph_uris: Sequence[str] = (), cache_key: Hashable | None = None) -> Response:
    """Answer a SPARQL query in the negotiated media type, or raise an ApiError (JSON error).

    ``substitutions`` maps pyoxigraph Variables to terms (bound before evaluation). Graph URIs
    given here (the protocol's dataset) replace any FROM / FROM NAMED in the query; graphs must be
    the service's own. ``cache_key``, given for the service's own (named) queries, names the query
    and its bindings: the query is the service's own and runs as trusted (in process; see
    service.engine.executor). Repeated GETs are replayed by the answer cache in front of the app
    (service.web.answer_cache), so nothing here keeps results. A GET answer carries an ETag; a matching
    If-None-Match gets 304 without running the query. Must be called inside a request (it reads
    Accept and ``?format=``).
    """
    current = request._get_current_object()  # the request proxy costs on every attribute
    # request.base_url re-encodes the whole URL (~50 us); this is the same IRI for a base
    base_iri = f"{current.scheme}://{current.host}{current.root_path}{current.path}"
    trusted = cache_key is not None
    inspection = _inspect(sparql_text, base_iri) if not trusted else QueryInspection()
    types = _negotiate_types(current.environ, current.args, sparql_text)
    etag = http_cache.answer_etag(kb.version, "|".join(map(str, types)))
    unchanged = http_cache.not_modified(etag)
    if unchanged is not None:
        return unchanged
    job = _job(kb, sparql_text, inspection, types, substitutions, base_iri, default_graph_uris,
               named_graph_uris, trusted=trusted)
    return http_cache.cacheable(_response(_run(kb, job)), etag)


def _inspect(sparql_text: str, base_iri: str) -> QueryInspection:
    """Refuse unsafe queries (400); return what the guard learnt (the FROM graphs)."""
    try:
        return inspect_query(sparql_text, base_iri)
    except QueryRefused as err:
        raise ApiError(400, str(err)) from None


def _job(kb: KnowledgeBase, sparql_text: str, inspection: QueryInspection, types: tuple[str | None, str | None],
         substitutions: Mapping | None, base_iri: str, default_graph_uris: Sequence[str],
         named_graph_uris: Sequence[str], trusted: bool = False) -> QueryJob:
    """Return the job answering the query over its dataset (400 for graphs the service lacks)."""
    # the protocol's dataset replaces the query's own FROM / FROM NAMED (SPARQL 1.1 Protocol 2.1.4)
    if default_graph_uris or named_graph_uris:
        defaults, named, explicit = default_graph_uris, named_graph_uris, True
    else:
        defaults, named, explicit = inspection.from_graphs, inspection.from_named_graphs, inspection.names_dataset
    try:
        dataset = kb.store.resolve_dataset(defaults, named, explicit=explicit)
    except UnknownGraphError as err:
        raise ApiError(400, str(err), graphs=kb.store.graph_names) from None
    solutions_type, graph_type = types
    return QueryJob(sparql=sparql_text, dataset=dataset, substitutions=_substitutions(substitutions),
                    solutions_type=solutions_type, graph_type=graph_type, base_iri=base_iri,
                    trusted=trusted)


def _run(kb: KnowledgeBase, job: QueryJob) -> SerializedResult:
    """Run the job on the knowledge base's backend; map its failures to JSON errors."""
    try:
        return query_executor(kb).run(job)
    except QuerySyntaxError as err:
        raise ApiError(400, f"malformed query: {err}", line=err.line, column=err.column) from None
    except QueryEvaluationError as err:
        raise ApiError(400, f"the query could not be evaluated: {err}") from None
    except NotAcceptableResult as err:
        raise _not_acceptable(err.kind, request.args.get("format")) from None
    except (QueryTimeout, WorkersBusy, EndpointUnavailable) as err:
        raise ApiErrorWithHeaders(503, str(err), {"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    except QueryTooCostly as err:  # asking again will not help: no Retry-After
        raise ApiError(503, str(err)) from None
    except EndpointFailed as err:
        raise ApiError(502, str(err)) from None
    except QueryFailed as err:
        raise ApiError(500, f"the query failed: {err}") from None


def _response(result: SerializedResult) -> Response:
    response = Response(result.body, mimetype=result.media_type)
    response.headers["Vary"] = "Accept"
    if result.truncated:
        response.headers[TRUNCATED_HEADER] = "true"
    return response
