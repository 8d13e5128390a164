"""The remote backend: forward every query to a SPARQL 1.1 endpoint (Fuseki, GraphDB, QLever ...).

The endpoint must hold the service's graphs under the same names (``LoadedData.nquads`` writes
them; docs/deployment.md shows how to load them). The service still reads the ontology files to
know its modules, version and labels; only query evaluation moves to the endpoint.

Each query is POSTed as a form (``query``, ``default-graph-uri``, ``named-graph-uri``), so the
dataset is always explicit and never depends on the engine's idea of a default graph: no graphs
named means every stored graph, both as the default graph and as named graphs. Bound parameters
become VALUES blocks opening the WHERE clause and each subquery that projects them
(service.store.bindings), and the request's
base IRI a BASE declaration. The answer is asked for as SPARQL JSON results or N-Triples and
parsed as it arrives; it is then written by service.engine.results, so the row cap and the bytes of each
media type are the same as on every other backend (reading stops at the row cap).

Failures become the executor's errors: a 400 from the endpoint is the query's fault; an
unreachable or overloaded endpoint (refused connection, 429, 503) is ``EndpointUnavailable`` (503);
any other failure, or an answer that does not parse, is ``EndpointFailed`` (502). The query
timeout bounds connecting and each read from the endpoint.
"""
from __future__ import annotations

import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlencode

import pyoxigraph as ox

from service.store.bindings import bind_with_values, with_base
from service.store.errors import EndpointFailed, EndpointUnavailable, QuerySyntaxError, QueryTimeout
from service.store.interface import EvaluatingStore, LoadedData, QueryDataset

#: what the endpoint is asked to answer in: formats pyoxigraph parses as a stream
ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.5"
#: how much of an error body is quoted back to the client
ERROR_EXCERPT = 500
#: a graph no engine holds, named to make a query's default graph empty
EMPTY_GRAPH = "https://w3id.org/lbp-kg/graph/empty"


@dataclass
class RemoteStore(EvaluatingStore):
    """A SPARQL 1.1 endpoint holding the service's graphs (see the module docstring)."""

    endpoint: str
    module_graphs: list[str]
    version: str
    has_inferred: bool = False
    triple_count: int = 0
    graph_sizes: dict[str, int] = field(default_factory=dict)
    timeout: float = 10.0

    @classmethod
    def from_data(cls, data: LoadedData, endpoint: str, timeout: float = 10.0) -> "RemoteStore":
        """Describe the endpoint's content by the graphs loaded locally (no request is made)."""
        sizes = data.graph_sizes
        return cls(endpoint=endpoint, module_graphs=list(data.module_graphs), version=data.version,
                   has_inferred=data.inferred is not None, triple_count=sum(sizes.values()),
                   graph_sizes=sizes, timeout=timeout)

    def _form(self, sparql: str, dataset: QueryDataset) -> bytes:
        defaults = tuple(self.stored_graphs) if dataset.default_graphs is None else dataset.default_graphs
        named = tuple(self.stored_graphs) if dataset.named_graphs is None else dataset.named_graphs
        # an empty default graph must be named too: an engine given no default-graph-uri uses its own
        defaults = defaults or (EMPTY_GRAPH,)
        pairs = [("query", sparql)] + [("default-graph-uri", g) for g in defaults] + \
            [("named-graph-uri", g) for g in named]
        return urlencode(pairs).encode("ascii")

    def open(self, sparql: str, dataset: QueryDataset):
        """POST a query; return the open HTTP response (raises the executor's QueryErrors)."""
        request = urllib.request.Request(self.endpoint, data=self._form(sparql, dataset), method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT})
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as err:
            raise _http_failure(self.endpoint, err) from None
        except (TimeoutError, socket.timeout):
            raise QueryTimeout(self.timeout) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise EndpointUnavailable(f"cannot reach the SPARQL endpoint {self.endpoint}: {reason}") from None

    def evaluate(self, sparql: str, dataset: QueryDataset, substitutions: Mapping[str, object] | None = None,
                 base_iri: str | None = None, consume=None):
        """Run a query remotely and return its result in pyoxigraph's shapes.

        With ``consume``, the result is parsed as it streams in and handed to ``consume``, whose
        return value is returned; without, the whole answer is read first.
        """
        text = with_base(bind_with_values(sparql, dict(substitutions or {})), base_iri)
        with self.open(text, dataset) as response:
            media_type = (response.headers.get_content_type() or "").lower()
            try:
                if consume is not None:
                    return consume(_parse(response, media_type))
                result = _parse(response.read(), media_type)
                return result if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)) else list(result)
            except (TimeoutError, socket.timeout):
                raise QueryTimeout(self.timeout) from None
            except (SyntaxError, ValueError) as err:
                raise EndpointFailed(f"the SPARQL endpoint {self.endpoint} sent an answer that does not "
                                     f"parse as {media_type}: {err}") from None


def _parse(source, media_type: str):
    if media_type in ("application/sparql-results+json", "application/json",
                      "application/sparql-results+xml"):
        return ox.parse_query_results(source, format=ox.QueryResultsFormat.from_media_type(media_type))
    rdf_format = ox.RdfFormat.from_media_type(media_type)
    if rdf_format is None:
        raise ValueError(f"unexpected media type {media_type or '(none)'}")
    return (ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(source, format=rdf_format))


def _http_failure(endpoint: str, err: urllib.error.HTTPError):
    try:
        body = err.read(ERROR_EXCERPT * 2).decode("utf-8", "replace").strip()[:ERROR_EXCERPT]
    except OSError:
        body = ""
    said = f": {body}" if body else ""
    if err.code == 400:
        return QuerySyntaxError(f"the SPARQL endpoint refused the query{said}")
    if err.code in (429, 503):
        return EndpointUnavailable(f"the SPARQL endpoint {endpoint} is busy or unavailable ({err.code}){said}")
    return EndpointFailed(f"the SPARQL endpoint {endpoint} failed with {err.code}{said}")
