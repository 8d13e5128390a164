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

Engines differ in how they write answers, and the backend reads them all the same way, never
asking which engine it talks to: it asks for SPARQL JSON results for SELECT and ASK and for
N-Triples for CONSTRUCT and DESCRIBE (an engine may otherwise answer a graph as a JSON table);
an ASK answered as a one-row table (Virtuoso 7.2 does) is read as its boolean; and blank node
labels that are not N-Triples labels (Virtuoso's ``nodeID://b10016``) are renamed before parsing.

Failures become the executor's errors: a 400 from the endpoint is the query's fault; an
unreachable or overloaded endpoint (refused connection, 429, 503) is ``EndpointUnavailable`` (503);
an endpoint that sends nothing within the query timeout is ``EndpointUnavailable`` too (503),
naming the endpoint; any other failure, or an answer that does not parse, is ``EndpointFailed``
(502). Each message names the endpoint's URL and what the operator can do. The query timeout
bounds connecting and each read from the endpoint.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlencode

import pyoxigraph as ox

from service.store.bindings import bind_with_values, with_base
from service.store.errors import EndpointFailed, EndpointUnavailable, QuerySyntaxError
from service.store.interface import EvaluatingStore, LoadedData, QueryDataset
from service.store.sparql_tokens import tokenize

#: the keywords that open a query's form
QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})

#: what the endpoint is asked to answer in: formats pyoxigraph parses as a stream
ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.5"
#: ... by the query's form: tables and booleans as JSON, graphs as N-Triples
ACCEPT_BY_FORM = {"SELECT": "application/sparql-results+json", "ASK": "application/sparql-results+json",
                  "CONSTRUCT": "application/n-triples, text/turtle;q=0.5",
                  "DESCRIBE": "application/n-triples, text/turtle;q=0.5"}
#: what the operator can do when the endpoint is down or slow, or fails
UNAVAILABLE_ADVICE = "check that the engine is running and reachable from this instance, then retry"
FAILED_ADVICE = ("the engine's log has the details; a named query an engine mishandles is a bug to "
                 "report to lbp-kg (queries/README.md lists the constructs to avoid)")
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

    def open(self, sparql: str, dataset: QueryDataset, accept: str = ACCEPT):
        """POST a query; return the open HTTP response (raises the executor's QueryErrors)."""
        request = urllib.request.Request(self.endpoint, data=self._form(sparql, dataset), method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as err:
            raise _http_failure(self.endpoint, err) from None
        except (TimeoutError, socket.timeout):
            raise self._timed_out() from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise self._timed_out() from None
            raise EndpointUnavailable(f"cannot reach the SPARQL endpoint {self.endpoint}: {reason}; "
                                      f"{UNAVAILABLE_ADVICE}") from None

    def _timed_out(self) -> EndpointUnavailable:
        return EndpointUnavailable(f"the SPARQL endpoint {self.endpoint} sent nothing for {self.timeout:g} s "
                                   f"(the query timeout); {UNAVAILABLE_ADVICE}, or give the engine more "
                                   "capacity or the query more time (query_timeout)")

    def evaluate(self, sparql: str, dataset: QueryDataset, substitutions: Mapping[str, object] | None = None,
                 base_iri: str | None = None, consume=None):
        """Run a query remotely and return its result in pyoxigraph's shapes.

        With ``consume``, the result is parsed as it streams in and handed to ``consume``, whose
        return value is returned; without, the whole answer is read first.
        """
        text = with_base(bind_with_values(sparql, dict(substitutions or {})), base_iri)
        form = query_form(text)
        with self.open(text, dataset, ACCEPT_BY_FORM.get(form, ACCEPT)) as response:
            media_type = (response.headers.get_content_type() or "").lower()
            if consume is None:  # the result outlives the response: read it whole first
                answer = response.read()
                if _is_results(media_type) and (b'"bnode"' in answer or XSD_BOOLEAN.encode() in answer):
                    answer = _normalised(answer)
                answer = io.BytesIO(answer)
            else:
                answer = _Recorded(response)
            try:
                try:
                    return self._read(answer, media_type, form, consume)
                except SyntaxError as err:
                    if consume is None or not _is_results(media_type) or not _names_blank_node(err):
                        raise
                # the engine names blank nodes with labels pyoxigraph refuses: rename them, read again
                return self._read(_normalised(answer.getvalue()), media_type, form, consume)
            except (TimeoutError, socket.timeout):
                raise self._timed_out() from None
            except (SyntaxError, ValueError) as err:
                raise EndpointFailed(f"the SPARQL endpoint {self.endpoint} sent an answer that does not "
                                     f"parse as {media_type}: {err}; {FAILED_ADVICE}") from None

    @staticmethod
    def _read(source, media_type: str, form: str | None, consume):
        result = _parse(source, media_type)
        if form == "ASK" and isinstance(result, ox.QuerySolutions):
            result = _as_boolean(result)
        if consume is not None:
            return consume(result)
        return result if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)) else list(result)


def query_form(sparql: str) -> str | None:
    """The query's form (SELECT, ASK, CONSTRUCT, DESCRIBE): its first form keyword, or None."""
    return next((t.upper for t in tokenize(sparql) if t.is_word(*QUERY_FORMS)), None)


class _Recorded:
    """The response as a stream that keeps what was read, so the whole answer can be read again."""

    def __init__(self, response):
        self.response = response
        self.seen = bytearray()

    def read(self, size: int = -1) -> bytes:
        data = self.response.read(size if size is not None and size >= 0 else None)
        self.seen += data
        return data

    def getvalue(self) -> bytes:
        """Everything the endpoint sent: what was read so far and the rest."""
        return bytes(self.seen) + self.response.read()


_BLANK_LABEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
#: xsd:boolean's other lexical forms and their canonical ones (XML Schema 1.1, part 2, 3.3.2)
_CANONICAL_BOOLEAN = {"1": "true", "0": "false"}


def _normalised(answer: bytes) -> bytes:
    """A SPARQL JSON answer with what pyoxigraph and the embedded store would write differently
    written their way: blank node labels N-Triples would not take renamed, and xsd:boolean values
    in their canonical lexical form.

    Virtuoso 7.2 has no boolean type: ``EXISTS {...}`` comes back as ``"1"^^xsd:boolean``, the same
    value as the ``"true"^^xsd:boolean`` the embedded store writes but another term, so a client
    comparing terms (``muscle-group-members``' ``isGroup``) would see a difference. Applied to the
    answers the service reads whole (its own queries); client ``/sparql`` answers stream through.
    """
    data = json.loads(answer)
    for row in data.get("results", {}).get("bindings", ()):
        for term in row.values():
            if term.get("type") == "bnode":
                term["value"] = _blank_label(term["value"])
            elif term.get("datatype") == XSD_BOOLEAN:
                term["value"] = _CANONICAL_BOOLEAN.get(term["value"], term["value"])
    return json.dumps(data).encode("utf-8")


def _blank_label(value: str) -> str:
    """The label itself, or a hash of it when N-Triples would not take it."""
    if _BLANK_LABEL.match(value) and not value.endswith("."):
        return value
    return "b" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:24]


def _as_boolean(table: ox.QuerySolutions) -> ox.QueryBoolean:
    """An ASK answered as a table of one value (1 or true when the pattern matched) as its boolean."""
    rows = list(table)
    matched = bool(rows) and any(row[0] is not None and row[0].value in ("1", "true") for row in rows)
    payload = json.dumps({"head": {}, "boolean": matched}).encode("ascii")
    return ox.parse_query_results(payload, format=ox.QueryResultsFormat.JSON)


def _names_blank_node(err: SyntaxError) -> bool:
    message = str(err).lower()
    return "bnode" in message or "blank node" in message


def _is_results(media_type: str) -> bool:
    return media_type in ("application/sparql-results+json", "application/json")


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
        return EndpointUnavailable(f"the SPARQL endpoint {endpoint} is busy or unavailable ({err.code}){said}; "
                                   f"{UNAVAILABLE_ADVICE}")
    return EndpointFailed(f"the SPARQL endpoint {endpoint} failed with {err.code}{said}; {FAILED_ADVICE}")
