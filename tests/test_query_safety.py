"""Nothing a request sends reaches the network, changes the data, or holds the server past the limit."""
from __future__ import annotations

import socket
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from service.engine.query_guard import QueryRefused, inspect_query
from service.web.query_response import query_executor
from test_sparql_protocol import ANATOMY, CLINICAL, tiny_app
from tests.conftest import stop_query_workers

TIMEOUT = 1.5
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(40)) + " }"


# --- the guard, on query text -------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<http://e/> AS ?e) SeRvIcE ?e { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE# a comment\n<http://example.org/> { ?s ?p ?o } }",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { SERVICE ex:sparql { ?s ?p ?o } }",
    # a comparison that looks like an IRI must not hide the keyword behind it
    "SELECT * WHERE { ?a ?b ?c FILTER(?a<?x)SERVICE?s#>\n{ ?s ?p ?o } }",
])
def test_service_is_refused_however_it_is_written(query):
    with pytest.raises(QueryRefused, match="SERVICE is not allowed"):
        inspect_query(query)


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?s ?p "service" }',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://example.org/>",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:service ?o }",
    "SELECT ?service WHERE { ?service ?p <http://example.org/service/load#insert> }",
    'SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(?o, """load and delete""")) }',
])
def test_the_words_inside_strings_iris_names_and_comments_are_harmless(query):
    inspect_query(query)


@pytest.mark.parametrize("update", ["LOAD <http://example.org/data.ttl>", "CLEAR ALL", "DROP GRAPH <urn:g>",
                                    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                                    "PREFIX ex: <urn:> DELETE WHERE { ?s ?p ?o }", "CREATE GRAPH <urn:g>",
                                    "COPY <urn:a> TO <urn:b>", "MOVE <urn:a> TO <urn:b>", "ADD <urn:a> TO <urn:b>"])
def test_every_update_form_is_refused(update):
    with pytest.raises(QueryRefused, match="read-only"):
        inspect_query(update)


def test_from_clauses_are_read_with_prefixes_and_base():
    inspection = inspect_query("BASE <https://w3id.org/lbp-kg/> PREFIX g: <https://w3id.org/lbp-kg/graph/> "
                               "SELECT * FROM g:inferred FROM <test/anatomy> FROM NAMED <urn:n> { ?s ?p ?o }")
    assert inspection.from_graphs == ("https://w3id.org/lbp-kg/graph/inferred", "https://w3id.org/lbp-kg/test/anatomy")
    assert inspection.from_named_graphs == ("urn:n",)


# --- over HTTP: no connection, no change ------------------------------------------------------

@pytest.fixture()
def loopback():
    """A throwaway TCP server on 127.0.0.1 that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    connections = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (socket.timeout, OSError):
                continue
            connections.append(conn)
            conn.close()

    thread = threading.Thread(target=accept)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", connections
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    application = tiny_app(str(tmp_path_factory.mktemp("cache")), query_timeout=TIMEOUT, max_body_bytes=4096)
    yield application
    stop_query_workers(application)


@pytest.fixture()
def client(app):
    return app.test_client()


def test_queries_naming_a_loopback_url_make_no_connection(client, loopback):
    url, connections = loopback
    queries = {
        f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}": "SERVICE",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}": "SERVICE",
        f"SELECT * FROM <{url}/data.ttl> WHERE {{ ?s ?p ?o }}": "unknown graph",
        f"SELECT * FROM NAMED <{url}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}": "unknown graph",
        f"LOAD <{url}/data.ttl>": "read-only",
    }
    for query, reason in queries.items():
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == 400, query
        assert reason in response.get_json()["error"]
    for params in ({"query": "ASK {}", "default-graph-uri": f"{url}/g"}, {"query": "ASK {}", "named-graph-uri": f"{url}/g"},
                   {"update": f"LOAD <{url}/data.ttl>"}):
        assert client.get("/sparql", query_string=params).status_code in (400, 403)
    time.sleep(0.3)
    assert connections == []


def test_a_from_graph_the_service_holds_is_used(client):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{CLINICAL}> WHERE {{ ?s ?p ?o }}"
    response = client.get("/sparql", query_string={"query": query})
    assert response.get_json(force=True)["results"]["bindings"][0]["n"]["value"] == "1"


def test_a_from_graph_it_does_not_hold_is_400_naming_the_known_ones(client):
    response = client.get("/sparql", query_string={"query": "SELECT * FROM <https://example.org/g> { ?s ?p ?o }"})
    assert response.status_code == 400 and ANATOMY in response.get_json()["graphs"]


def test_an_oversized_body_is_413_json(client):
    response = client.post("/sparql", data="ASK {}" + " " * 5000, content_type="application/sparql-query")
    assert response.status_code == 413 and response.get_json()["error"]


# --- the time limit, on a real threaded server --------------------------------------------------

@pytest.fixture()
def server_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sparql"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.mark.slow
def test_a_runaway_query_gets_503_in_time_while_other_requests_are_answered(app, server_url):
    with app.app_context():
        query_executor(app.extensions["lbp_kg"]).start()  # both workers up: the test is about the deadline
    outcome = {}

    def run_away():
        with requests.Session() as session:
            outcome["response"] = session.get(server_url, params={"query": RUNAWAY}, timeout=30)

    runaway = threading.Thread(target=run_away)
    runaway.start()
    time.sleep(0.3)
    with requests.Session() as session:
        for _ in range(5):
            answer = session.get(server_url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
            assert answer.status_code == 200 and answer.json()["boolean"] is True
            assert runaway.is_alive(), "answered while the runaway was still running"
            assert session.get(server_url, timeout=30).status_code == 200  # the service description
    runaway.join()
    response = outcome["response"]
    assert response.status_code == 503
    assert response.json()["error"] == f"query exceeded the {TIMEOUT:g} s time limit; simplify it or add LIMIT"
    assert response.headers["Retry-After"]
    with requests.Session() as session:
        assert session.get(server_url, params={"query": "ASK {}"}, timeout=30).status_code == 200
