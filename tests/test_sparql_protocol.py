"""/sparql follows the SPARQL 1.1 Protocol query operation (the W3C protocol test cases)."""
from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask
from rdflib import Graph
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from service.web import errors
from service.web.views import sparql
from service.config import Settings
from service.kg.knowledge import KnowledgeBase
from service.kg.ontology import Module
from service.store import ASSERTED_GRAPH, OxigraphStore
from tests.conftest import stop_query_workers

ANATOMY = "https://w3id.org/lbp-kg/test/anatomy"
CLINICAL = "https://w3id.org/lbp-kg/test/clinical"
MODULES = {
    ANATOMY: """@prefix lbp: <https://w3id.org/lbp-kg/id/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        lbp:psoas-major a lbp:Muscle ; rdfs:label "psoas major"@en .
        lbp:iliacus a lbp:Muscle ; rdfs:label "iliacus"@en .""",
    CLINICAL: """@prefix lbp: <https://w3id.org/lbp-kg/id/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        lbp:low-back-pain rdfs:label "low back pain"@en .""",
}
LABELS = "SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label"


def tiny_app(cache_dir: str, **settings) -> Flask:
    """A Flask app serving /sparql over two tiny module graphs."""
    modules = [Module(iri=iri, path=Path(f"{i}.ttl"), graph=Graph().parse(data=ttl, format="turtle"), version=None)
               for i, (iri, ttl) in enumerate(MODULES.items())]
    app = Flask(__name__)
    options = Settings(cache_dir=cache_dir, **{"query_timeout": 5.0, **settings})
    app.config["MAX_CONTENT_LENGTH"] = options.max_body_bytes
    app.extensions["lbp_kg.settings"] = options
    app.extensions["lbp_kg"] = KnowledgeBase(modules=modules, store=OxigraphStore.from_modules(modules))
    errors.init_app(app)
    sparql.init_app(app)
    return app


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    app = tiny_app(str(tmp_path_factory.mktemp("cache")), max_rows=2)
    yield app.test_client()
    stop_query_workers(app)


def labels(response) -> list[str]:
    return [b["label"]["value"] for b in response.get_json(force=True)["results"]["bindings"]]


# --- the three ways to send a query ------------------------------------------------------------

def test_query_by_get(tiny):
    response = tiny.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert response.get_json(force=True) == {"head": {}, "boolean": True}


def test_query_by_url_encoded_post(tiny):
    response = tiny.post("/sparql", data={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 200 and response.get_json(force=True)["boolean"] is True


def test_query_by_direct_post(tiny):
    response = tiny.post("/sparql", data="ASK { FILTER(false) }", content_type="application/sparql-query")
    assert response.status_code == 200 and response.get_json(force=True)["boolean"] is False


def test_direct_post_takes_the_dataset_from_the_url(tiny):
    response = tiny.post(f"/sparql?default-graph-uri={CLINICAL}", data=LABELS,
                         content_type="application/sparql-query; charset=UTF-8")
    assert labels(response) == ["low back pain"]


# --- the dataset --------------------------------------------------------------------------------

def test_the_default_graph_is_the_union_of_every_graph(tiny):
    assert labels(tiny.get("/sparql", query_string={"query": LABELS})) == ["iliacus", "low back pain"]


def test_default_graph_uri_restricts_the_default_graph(tiny):
    response = tiny.get("/sparql", query_string={"query": LABELS, "default-graph-uri": ANATOMY})
    assert labels(response) == ["iliacus", "psoas major"]


def test_several_default_graphs_are_merged(tiny):
    response = tiny.get("/sparql", query_string=[("query", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"),
                                                 ("default-graph-uri", ANATOMY), ("default-graph-uri", CLINICAL)])
    assert response.get_json(force=True)["results"]["bindings"][0]["n"]["value"] == "5"


def test_named_graph_uri_limits_the_graphs_graph_patterns_see(tiny):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = tiny.post("/sparql", data={"query": query, "named-graph-uri": CLINICAL})
    assert [b["g"]["value"] for b in response.get_json(force=True)["results"]["bindings"]] == [CLINICAL]


def test_the_protocol_dataset_overrides_from_in_the_query(tiny):
    query = (f"SELECT ?label FROM <{ANATOMY}> WHERE {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }} "
             "ORDER BY ?label")
    assert labels(tiny.get("/sparql", query_string={"query": query})) == ["iliacus", "psoas major"]
    overridden = tiny.get("/sparql", query_string={"query": query, "default-graph-uri": CLINICAL})
    assert labels(overridden) == ["low back pain"]


def test_the_virtual_asserted_graph_can_be_named(tiny):
    response = tiny.get("/sparql", query_string={"query": LABELS, "default-graph-uri": ASSERTED_GRAPH})
    assert labels(response) == ["iliacus", "low back pain"]


def test_an_unknown_graph_is_a_400_naming_the_known_ones(tiny):
    response = tiny.get("/sparql", query_string={"query": LABELS, "default-graph-uri": "https://example.org/g"})
    assert response.status_code == 400
    body = response.get_json()
    assert "https://example.org/g" in body["error"] and ANATOMY in body["graphs"]


# --- negotiation -------------------------------------------------------------------------------

@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
def test_select_results_come_in_each_results_format(tiny, media_type):
    response = tiny.get("/sparql", query_string={"query": "SELECT ?x { BIND(1 AS ?x) }"},
                        headers={"Accept": media_type})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("media_type", ["text/turtle", "application/ld+json", "application/n-triples",
                                        "application/rdf+xml"])
def test_construct_results_come_in_each_graph_format(tiny, media_type):
    response = tiny.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s a ?type }"},
                        headers={"Accept": media_type})
    assert response.status_code == 200 and response.mimetype == media_type
    assert len(list(ox.parse(response.data, ox.RdfFormat.from_media_type(media_type)))) == 2


def test_describe_defaults_to_turtle(tiny):
    response = tiny.get("/sparql", query_string={"query": "DESCRIBE <https://w3id.org/lbp-kg/id/iliacus>"})
    assert response.mimetype == "text/turtle" and b"iliacus" in response.data


def test_q_values_decide_between_formats(tiny):
    response = tiny.get("/sparql", query_string={"query": "ASK {}"},
                        headers={"Accept": "application/sparql-results+json;q=0.5, application/sparql-results+xml"})
    assert response.mimetype == "application/sparql-results+xml"


def test_format_parameter_overrides_accept(tiny):
    response = tiny.get("/sparql", query_string={"query": "SELECT ?x { BIND(1 AS ?x) }", "format": "csv"},
                        headers={"Accept": "application/sparql-results+xml"})
    assert response.mimetype == "text/csv" and response.data == b"x\r\n1\r\n"


def test_a_select_asked_for_as_turtle_is_406_listing_the_results_formats(tiny):
    response = tiny.get("/sparql", query_string={"query": "SELECT * {}"}, headers={"Accept": "text/turtle"})
    assert response.status_code == 406
    assert "text/csv" in response.get_json()["available"]


def test_an_accept_header_nothing_matches_is_406(tiny):
    response = tiny.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert response.status_code == 406 and response.get_json()["available"]


def test_rows_beyond_max_rows_are_cut_and_flagged(tiny):
    response = tiny.get("/sparql", query_string={"query": LABELS})
    assert response.headers["X-LBP-Truncated"] == "true"
    assert response.get_json(force=True)["head"]["truncated"] is True
    assert len(labels(response)) == 2


def test_a_result_within_the_cap_is_not_flagged(tiny):
    response = tiny.get("/sparql", query_string={"query": LABELS, "default-graph-uri": CLINICAL})
    assert "X-LBP-Truncated" not in response.headers


# --- bad requests -----------------------------------------------------------------------------

def test_a_malformed_query_is_400_with_the_parser_message_and_position(tiny):
    response = tiny.get("/sparql", query_string={"query": "SELECT *\nWHERE { ?s ?p }"})
    assert response.status_code == 400
    body = response.get_json()
    assert (body["line"], body["column"]) == (2, 16) and "malformed query" in body["error"]


def test_an_unterminated_query_is_400(tiny):
    assert tiny.get("/sparql", query_string={"query": "ASK {"}).status_code == 400


def test_two_query_parameters_are_400(tiny):
    response = tiny.get("/sparql", query_string=[("query", "ASK {}"), ("query", "SELECT * {}")])
    assert response.status_code == 400 and "exactly one query" in response.get_json()["error"]


def test_a_query_both_in_the_url_and_the_direct_body_is_400(tiny):
    response = tiny.post("/sparql?query=ASK%20%7B%7D", data="ASK {}", content_type="application/sparql-query")
    assert response.status_code == 400


def test_a_post_without_a_query_is_400(tiny):
    assert tiny.post("/sparql", data={"default-graph-uri": ANATOMY}).status_code == 400


def test_a_dataset_without_a_query_is_400(tiny):
    assert tiny.get("/sparql", query_string={"default-graph-uri": ANATOMY}).status_code == 400


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_a_post_with_the_wrong_or_no_media_type_is_400(tiny, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = tiny.post("/sparql", data=b"ASK {}", headers=headers)
    assert response.status_code == 400 and "application/sparql-query" in response.get_json()["error"]


def test_a_direct_post_in_utf16_is_400(tiny):
    response = tiny.post("/sparql", data="ASK {}".encode("utf-16"),
                         content_type="application/sparql-query; charset=UTF-16")
    assert response.status_code == 400 and "UTF-8" in response.get_json()["error"]


def test_a_direct_post_with_invalid_utf8_bytes_is_400(tiny):
    response = tiny.post("/sparql", data=b'ASK { FILTER("\xff") }', content_type="application/sparql-query")
    assert response.status_code == 400


def test_a_form_post_with_invalid_utf8_is_400(tiny):
    response = tiny.post("/sparql", data=b"query=ASK%20%7B%FF%7D", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_other_methods_are_405_with_allow(tiny):
    response = tiny.put("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert response.get_json()["error"]


@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "query_string": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": "CLEAR ALL", "content_type": "application/sparql-update"},
])
def test_the_update_operation_is_refused_as_read_only(tiny, request_kwargs):
    response = tiny.open("/sparql", **request_kwargs)
    assert response.status_code == 403 and "read-only" in response.get_json()["error"]


def test_an_update_sent_as_a_query_is_refused_and_changes_nothing(tiny):
    for update in ("CLEAR ALL", "DROP GRAPH <%s>" % ANATOMY, "INSERT DATA { <urn:a> <urn:b> <urn:c> }"):
        response = tiny.post("/sparql", data={"query": update})
        assert response.status_code == 400 and "read-only" in response.get_json()["error"]
    count = tiny.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    assert count.get_json(force=True)["results"]["bindings"][0]["n"]["value"] == "5"


# --- service description ------------------------------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"


def test_a_bare_get_describes_the_service_in_turtle(tiny):
    response = tiny.get("/sparql")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    triples = [quad.triple for quad in ox.parse(response.data, ox.RdfFormat.TURTLE)]
    endpoint = ox.NamedNode("http://localhost/sparql")
    assert ox.Triple(endpoint, ox.NamedNode(SD + "endpoint"), endpoint) in triples
    assert ox.Triple(endpoint, ox.NamedNode(SD + "supportedLanguage"), ox.NamedNode(SD + "SPARQL11Query")) in triples
    formats = {t.object.value for t in triples if t.predicate.value == SD + "resultFormat"}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    named = {t.object.value for t in triples if t.predicate.value == SD + "name"}
    assert {ANATOMY, CLINICAL, ASSERTED_GRAPH} <= named


@pytest.mark.parametrize("media_type", ["application/ld+json", "application/rdf+xml"])
def test_the_service_description_is_negotiated(tiny, media_type):
    response = tiny.get("/sparql", headers={"Accept": media_type})
    assert response.mimetype == media_type
    assert list(ox.parse(response.data, ox.RdfFormat.from_media_type(media_type)))


def test_without_the_web_pages_a_browser_still_gets_the_description(tiny):
    response = tiny.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.mimetype == "text/turtle"


@pytest.mark.parametrize("accept, expected", [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("*/*", False),
    ("text/turtle", False),
    ("text/html;q=0.5, text/turtle", False),
])
def test_html_is_chosen_only_when_the_client_prefers_it(accept, expected):
    assert sparql.prefers_html(parse_accept_header(accept, MIMEAccept), None) is expected


def test_format_html_asks_for_the_page():
    assert sparql.prefers_html(MIMEAccept(), "html") is True


# --- the real knowledge base ---------------------------------------------------------------------

def test_a_label_lookup_on_the_bundled_ontology(client):
    query = ("SELECT ?label WHERE { <https://w3id.org/lbp-kg/id/psoas-major> "
             "<http://www.w3.org/2000/01/rdf-schema#label> ?label }")
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200
    assert labels(response) == ["psoas major"]
    assert json.loads(response.data)["head"]["vars"] == ["label"]
