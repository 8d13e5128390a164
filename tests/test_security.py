"""Attacks that must fail: nothing a request or a checked file does reaches the network, no query
stalls or crashes the service, and bad input gets a 4xx that names the problem (docs/security.md).

Each egress case runs against a TCP listener on loopback that counts the connections it accepts:
the answer must be a clear refusal and the count must stay at zero.
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from service import create_app
from service.cli import main
from service.engine.executor import QueryExecutor, QueryJob
from service.curation.extension_store import write_durably
from service.curation.gate import EXIT_OK

TOKEN = "security-token-7c1e"
GRAPH = "https://w3id.org/lbp-kg/ontology/extensions/security-probe"


class Listener:
    """A loopback TCP server that accepts and counts connections (and answers nothing useful)."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/x"

    def _accept(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            connection.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.server.close()


@pytest.fixture()
def listener():
    probe = Listener()
    yield probe
    probe.close()


@pytest.fixture(scope="module")
def writable_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("security")
    (root / "extensions").mkdir()
    app = create_app({"extensions_dir": str(root / "extensions"), "cache_dir": str(root / "cache"),
                      "writes_enabled": True, "write_tokens": {TOKEN: "security tests"}, "query_timeout": 3.0})
    app.config["TESTING"] = True
    app.extensions["test_root"] = root
    return app


def writer_headers(content_type: str) -> dict:
    return {"Content-Type": content_type, "Authorization": f"Bearer {TOKEN}", "X-Change-Reason": "security probe"}


# --- egress: client queries -----------------------------------------------------------------------

def query_probes(url: str) -> list[str]:
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        # an escaped '#' in a prefixed name is part of the name, not a comment (issue 11, item 1)
        f"PREFIX ex: <http://ex/> SELECT * WHERE {{ BIND(ex:a\\# AS ?h) SERVICE <{url}> {{ ?x ?y ?z }} }}",
        # after a value inside parentheses, '<' is "less than", and the '#' further on starts a comment
        f"SELECT * WHERE {{ ?s ?p ?a FILTER(?a<?b)SERVICE?s#>\n BIND(<{url}> AS ?s) {{ ?x ?y ?z }} }}",
        # in a triple, <?b)#> is a (relative) IRI, and SERVICE follows it
        f"SELECT * WHERE {{ ?s ?p <?b)#> SERVICE <{url}> {{ ?x ?y ?z }} }}",
        f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        f"LOAD <{url}>",
    ]


def test_no_client_query_reaches_the_network_however_it_hides_service(client, listener):
    harmless = "PREFIX ex: <http://ex/> SELECT * WHERE { BIND(ex:a\\# AS ?h) }"
    for _ in range(5):  # a query that answers cheaply earns no trust
        assert client.get("/sparql", query_string={"query": harmless}).status_code == 200
    for probe in query_probes(listener.url):
        for response in (client.get("/sparql", query_string={"query": probe}),
                         client.post("/sparql", data={"query": probe}),
                         client.post("/sparql", data=probe, headers={"Content-Type": "application/sparql-query"})):
            assert response.status_code == 400, probe
            assert response.get_json()["error"]
    time.sleep(0.3)
    assert listener.connections == 0


def test_a_query_worker_cannot_open_a_connection_even_when_handed_service_directly(tmp_path, kb, listener):
    executor = QueryExecutor(store=kb.store, cache_dir=str(tmp_path), timeout=5, workers=1)
    try:
        with pytest.raises(Exception) as refused:  # the guard is skipped here: only the sandbox stands
            executor.run(QueryJob(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"))
        assert "ermission" in str(refused.value) or "not permitted" in str(refused.value).lower()
    finally:
        executor.close()
    assert listener.connections == 0


def test_a_named_query_given_a_url_as_its_value_fetches_nothing(client, listener):
    response = client.get("/queries/compensators", query_string={"muscle": listener.url})
    assert response.status_code == 404
    assert listener.connections == 0


# --- egress: submitted RDF, in every format and through every entry point --------------------------

def rdf_probes(url: str) -> list[tuple[str, str]]:
    return [
        ("application/ld+json", json.dumps({"@context": url, "@id": "http://a"})),
        ("application/ld+json", json.dumps({"@context": {"@version": 1.1, "@import": url}, "@id": "http://a"})),
        ("application/ld+json", json.dumps({"@context": {"@version": 1.1},
                                            "@graph": [{"@context": [url], "@id": "http://a"}]})),
        ("application/ld+json", json.dumps({"@context": {"p": {"@id": "http://p", "@context": url}},
                                            "@id": "http://a", "p": {"@id": "http://b"}})),
        ("application/rdf+xml", f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "{url}">\n'
                                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'),
        ("application/rdf+xml", f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "{url}">]>\n'
                                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&e;</rdf:RDF>'),
        ("text/turtle", f"@base <{url}> . <a> <b> <c> ."),
    ]


@pytest.mark.slow
def test_validate_reads_no_remote_document_in_any_format(client, listener):
    for media_type, body in rdf_probes(listener.url):
        response = client.post("/validate", data=body, headers={"Content-Type": media_type})
        assert response.status_code in (200, 400), (media_type, body)
        if "@context" in body or "ENTITY" in body:
            assert response.status_code == 400 and response.get_json()["error"], body
    time.sleep(0.3)
    assert listener.connections == 0


def test_the_json_ld_refusal_says_the_same_whether_or_not_anything_listens(client, listener):
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    answers = []
    for url in (listener.url, f"http://127.0.0.1:{closed_port}/x"):
        body = json.dumps({"@context": {"@version": 1.1, "@import": url}, "@id": "http://a"})
        answers.append(client.post("/validate", data=body, headers={"Content-Type": "application/ld+json"})
                       .get_json()["error"].replace(url, "URL"))
    assert answers[0] == answers[1], "a port scan must learn nothing from the message"


def test_curated_writes_read_no_remote_document(writable_app, listener):
    client = writable_app.test_client()
    for media_type, body in rdf_probes(listener.url):
        response = client.put(f"/graph-store?graph={quote(GRAPH, safe='')}", data=body,
                              headers=writer_headers(media_type))
        assert response.status_code in (400, 422), (media_type, response.get_json())
    for probe in (f"LOAD <{listener.url}>",
                  f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
                  f"PREFIX ex: <http://ex/> INSERT {{ ex:a\\# ex:b ex:c }} WHERE {{ SERVICE <{listener.url}> {{}} }}"):
        response = client.post(f"/update?graph={quote(GRAPH, safe='')}", data=probe,
                               headers=writer_headers("application/sparql-update"))
        assert response.status_code == 400, probe
    time.sleep(0.3)
    assert listener.connections == 0


@pytest.mark.slow
def test_the_gate_reads_no_remote_document_in_a_checked_file(tmp_path, listener):
    for number, (media_type, body) in enumerate(rdf_probes(listener.url)):
        suffix = {"application/ld+json": ".jsonld", "application/rdf+xml": ".rdf", "text/turtle": ".ttl"}[media_type]
        path = tmp_path / f"probe-{number}{suffix}"
        path.write_text(body, encoding="utf-8")
        result = CliRunner().invoke(main, ["check", "--extensions", str(tmp_path / "none"), str(path)])
        if "@context" in body or "ENTITY" in body:
            assert result.exit_code != EXIT_OK and "not" in result.stdout, body
    time.sleep(0.3)
    assert listener.connections == 0


# --- stalls and crashes ----------------------------------------------------------------------------

LOOKS_CHEAP = ('PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT (COUNT(*) AS ?n) WHERE '
               '{ ?x rdfs:label "%s"@en . ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }')


@pytest.fixture(scope="module")
def impatient_app(tmp_path_factory):
    app = create_app({"query_timeout": 1.0, "cache_dir": str(tmp_path_factory.mktemp("impatient")),
                      "validation_timeout": 1.0})
    app.config["TESTING"] = True
    return app


@pytest.mark.slow
def test_a_query_that_looked_cheap_is_cut_off_and_the_service_keeps_answering(impatient_app):
    client = impatient_app.test_client()
    assert client.get("/sparql", query_string={"query": LOOKS_CHEAP % "no such label"}).status_code == 200
    answers = {}

    def runaway():
        answers["runaway"] = client.get("/sparql", query_string={"query": LOOKS_CHEAP % "gluteus medius"},
                                        headers={"Cache-Control": "no-cache"})

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    other = impatient_app.test_client().get("/queries/compensators?muscle=gluteus%20medius")
    assert other.status_code == 200 and thread.is_alive(), "another request is answered meanwhile"
    thread.join(30)
    assert answers["runaway"].status_code == 503
    assert "time limit" in answers["runaway"].get_json()["error"]


def test_a_query_needing_too_much_memory_is_stopped_with_the_limit_named(make_app):
    doublings = 27
    query = (f"SELECT (STRLEN(?s{doublings}) AS ?n) WHERE {{ BIND(\"x\" AS ?s0) "
             + " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(doublings)) + " }")
    # a deadline far off, so that the memory cap, not the clock, stops it even on a busy machine
    client = make_app(query_timeout=60.0, worker_memory_mb=256).test_client()
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 503 and "256 MiB" in response.get_json()["error"]
    assert client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200


@pytest.mark.parametrize("depth", [65, 5000])
def test_deeply_nested_queries_are_refused_before_any_parser_runs(client, writable_app, depth):
    query = "SELECT * WHERE { " + "OPTIONAL { ?s ?p ?o " * depth + "}" * (depth + 1)
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 400 and "nests" in response.get_json()["error"]
    update = "INSERT { <urn:a> <urn:b> <urn:c> } WHERE { " + "OPTIONAL { ?s ?p ?o " * depth + "}" * (depth + 1)
    response = writable_app.test_client().post(f"/update?graph={quote(GRAPH, safe='')}", data=update,
                                               headers=writer_headers("application/sparql-update"))
    assert response.status_code == 400 and "nests" in response.get_json()["error"]


def test_a_query_nested_as_deep_as_allowed_still_answers(client):
    query = "SELECT * WHERE { " + "OPTIONAL { <urn:nothing> ?p ?o " * 63 + "}" * 64
    assert client.post("/sparql", data={"query": query}).status_code == 200


@pytest.mark.parametrize("media_type, body", [
    ("application/ld+json", "[" * 900 + "]" * 900),
    ("application/ld+json", '{"a":' * 900 + "1" + "}" * 900),
    ("text/turtle", "<a> <b> " + "[ <p> " * 900 + "]" * 900 + " ."),
])
def test_deeply_nested_documents_are_refused_before_parsing(client, media_type, body):
    response = client.post("/validate", data=body, headers={"Content-Type": media_type})
    assert response.status_code == 400 and "nests 9" in response.get_json()["error"]


@pytest.mark.slow
def test_validation_has_a_time_limit_and_holds_no_other_request(impatient_app):
    body = "\n".join(f"<https://w3id.org/lbp-kg/id/m{i}> a <http://www.w3.org/2002/07/owl#Class> ; "
                     f"<http://www.w3.org/2000/01/rdf-schema#label> \"m {i}\"@en ." for i in range(10000))
    answers = {}

    def validate():
        answers["validate"] = impatient_app.test_client().post("/validate", data=body,
                                                               headers={"Content-Type": "text/turtle"})

    thread = threading.Thread(target=validate)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    other = impatient_app.test_client().post("/validate", data="<urn:a> <urn:b> <urn:c> .",
                                             headers={"Content-Type": "text/turtle"})
    thread.join(60)
    assert answers["validate"].status_code == 503 and "time limit" in answers["validate"].get_json()["error"]
    assert other.status_code in (200, 503)  # a second validation queues for the one worker, never for a lock
    assert time.monotonic() - started < 10


# --- protocol and messages ------------------------------------------------------------------------

def test_head_answers_as_get_does_without_a_body(client):
    head = client.head("/sparql", query_string={"query": "ASK {}"})
    get = client.get("/sparql", query_string={"query": "ASK {}"})
    assert head.status_code == get.status_code == 200
    assert head.data == b"" and head.mimetype == get.mimetype


COUNT_DEFAULT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_NAMED = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def count(client, query: str, **params) -> int:
    response = client.get("/sparql", query_string={"query": query, **params},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_json()
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def test_naming_only_named_graphs_leaves_the_default_graph_empty(client, kb):
    module = kb.modules[0].iri
    assert count(client, COUNT_DEFAULT) > 0
    assert count(client, COUNT_DEFAULT, **{"named-graph-uri": module}) == 0
    assert count(client, COUNT_NAMED, **{"named-graph-uri": module}) == 1
    assert count(client, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{module}> WHERE {{ ?s ?p ?o }}") == 0


def test_naming_only_default_graphs_leaves_no_named_graphs(client, kb):
    module = kb.modules[0].iri
    assert count(client, COUNT_NAMED) > 1
    assert count(client, COUNT_NAMED, **{"default-graph-uri": module}) == 0
    assert count(client, COUNT_DEFAULT, **{"default-graph-uri": module}) > 0
    assert count(client, f"SELECT (COUNT(DISTINCT ?g) AS ?n) FROM <{module}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}") == 0


def test_an_unknown_prefix_is_named_with_its_place(client):
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s foo:bar ?o }"})
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("unknown prefix foo: in foo:bar (line 1, column 21)")


def test_a_syntax_error_says_where_and_what_not_the_grammar(client):
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o . FILTER(?o > ) }"})
    error = response.get_json()
    assert response.status_code == 400 and error["line"] == 1
    assert error["error"].startswith("malformed query: syntax error at line 1, column")
    assert "\\u{" not in error["error"] and "..=" not in error["error"]


def test_a_query_string_that_is_not_utf8_is_refused_not_rewritten(client):
    response = client.get("/sparql?query=%ff%fe")
    assert response.status_code == 400 and "'query'" in response.get_json()["error"]


def test_an_iri_with_a_space_is_not_valid_rdf(client):
    response = client.post("/validate", data="<http://a b> <http://p> <http://o> .",
                           headers={"Content-Type": "text/turtle"})
    assert response.status_code == 400 and "<http://a b> is not a valid IRI" in response.get_json()["error"]


@pytest.mark.parametrize("media_type, body", [
    ("text/turtle", "<http://a/s> <http://a/p> [ <http://a/p q> \"v\" ] ."),
    ("application/ld+json", '{"http://a/p": {"x:`": "v"}}'),
])
def test_a_write_holding_an_invalid_iri_is_400_and_changes_nothing(writable_app, media_type, body):
    client = writable_app.test_client()
    response = client.put(f"/graph-store?graph={quote(GRAPH, safe='')}", data=body, headers=writer_headers(media_type))
    assert response.status_code == 400 and "is not a valid IRI" in response.get_json()["error"]
    assert client.get(f"/graph-store?graph={quote(GRAPH, safe='')}").status_code == 404


def test_files_written_by_the_extension_store_are_readable_by_others(tmp_path):
    path = tmp_path / "module.ttl"
    write_durably(path, b"<urn:a> <urn:b> <urn:c> .\n")
    assert os.stat(path).st_mode & 0o777 == 0o644
