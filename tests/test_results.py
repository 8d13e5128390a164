"""Query results are written per the W3C formats, matching pyoxigraph's own writers, and capped."""
from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest

from service.engine.results import (GRAPH_MEDIA_TYPES, ResultNotAcceptable, serialize_boolean,
                             serialize_query_result, serialize_solutions, serialize_triples)

PYOXIGRAPH_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}

# every kind of term: typed, plain, language-tagged and directional literals, IRIs with
# characters to escape, blank nodes, triple terms, numbers Turtle can write bare or not
EVERY_TERM_QUERY = r'''
SELECT ?int ?date ?plain ?lang ?unbound ?iri ?triple ?dec ?dbl ?bool ?neg ?dir ?bnode WHERE {
  VALUES (?int ?date ?plain ?lang ?iri ?dec ?dbl ?bool ?neg) {
    (1 "2024-01-01"^^<http://www.w3.org/2001/XMLSchema#date> "a,b \"q\"\n\tx <&>" "hi"@en-GB
     <http://x/a?b=c&d> 1.5 1e3 true -3)
  }
  BIND(TRIPLE(<http://s>, <http://p>, "o") AS ?triple)
  BIND(STRLANGDIR("a", "ar", "rtl") AS ?dir)
  BIND(BNODE("x") AS ?bnode)
}'''

EDGE_QUERIES = [
    "SELECT * WHERE {}",
    "SELECT ?x WHERE { FILTER(false) }",
    'SELECT ?x ?y WHERE { BIND("a" AS ?x) }',
    "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }",
]


def _without_blank_node_ids(data: bytes) -> bytes:
    return re.sub(rb"[0-9a-f]{32}", b"BNODE", data)


@pytest.fixture(scope="module")
def store():
    return ox.Store()


@pytest.mark.parametrize("media_type", PYOXIGRAPH_FORMATS)
def test_every_kind_of_term_is_written_exactly_as_pyoxigraph_writes_it(store, media_type):
    ours = serialize_solutions(store.query(EVERY_TERM_QUERY), media_type, max_rows=100)
    theirs = store.query(EVERY_TERM_QUERY).serialize(format=PYOXIGRAPH_FORMATS[media_type])
    assert _without_blank_node_ids(ours.body) == _without_blank_node_ids(theirs)
    assert ours.media_type == media_type and not ours.truncated


@pytest.mark.parametrize("query", EDGE_QUERIES)
@pytest.mark.parametrize("media_type", PYOXIGRAPH_FORMATS)
def test_empty_and_unbound_results_match_pyoxigraph(store, media_type, query):
    ours = serialize_solutions(store.query(query), media_type, max_rows=100).body
    assert ours == store.query(query).serialize(format=PYOXIGRAPH_FORMATS[media_type])


@pytest.mark.parametrize("media_type", PYOXIGRAPH_FORMATS)
def test_ask_answers_match_pyoxigraph(store, media_type):
    for query, value in (("ASK {}", True), ("ASK { FILTER(false) }", False)):
        ours = serialize_boolean(value, media_type)
        assert ours.body == store.query(query).serialize(format=PYOXIGRAPH_FORMATS[media_type])
        assert ours.kind == "boolean"


def test_rows_beyond_the_cap_are_cut_and_the_result_says_so(store):
    result = serialize_solutions(store.query("SELECT ?x WHERE { VALUES ?x { 1 2 3 } }"),
                                 "application/sparql-results+json", max_rows=2)
    document = json.loads(result.body)
    assert result.truncated
    assert [b["x"]["value"] for b in document["results"]["bindings"]] == ["1", "2"]
    assert document["head"] == {"vars": ["x"], "truncated": True}


def test_a_truncated_json_result_is_still_valid_sparql_results_json(store):
    body = serialize_solutions(store.query("SELECT ?x WHERE { VALUES ?x { 1 2 3 } }"),
                               "application/sparql-results+json", max_rows=1).body
    parsed = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    assert [row["x"].value for row in parsed] == ["1"]


def test_exactly_max_rows_is_not_truncated(store):
    result = serialize_solutions(store.query("SELECT ?x WHERE { VALUES ?x { 1 2 3 } }"), "text/csv", max_rows=3)
    assert not result.truncated
    assert result.body == b"x\r\n1\r\n2\r\n3\r\n"


@pytest.fixture(scope="module")
def graph_store():
    store = ox.Store()
    for i in range(5):
        store.add(ox.Quad(ox.NamedNode(f"https://w3id.org/lbp-kg/id/t{i}"),
                          ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                          ox.Literal(f"term {i}", language="en")))
    return store


@pytest.mark.parametrize("media_type", GRAPH_MEDIA_TYPES)
def test_graphs_round_trip_in_every_graph_format(graph_store, media_type):
    result = serialize_triples(graph_store.query("CONSTRUCT WHERE { ?s ?p ?o }"), media_type, max_rows=100,
                               prefixes={"lbp": "https://w3id.org/lbp-kg/id/"})
    parsed = set(ox.parse(result.body, ox.RdfFormat.from_media_type(media_type)))
    expected = {ox.Triple(q.subject, q.predicate, q.object) for q in graph_store}
    assert {ox.Triple(t.subject, t.predicate, t.object) for t in parsed} == expected
    assert not result.truncated and result.kind == "graph"


def test_turtle_uses_the_given_prefixes(graph_store):
    body = serialize_triples(graph_store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "text/turtle", max_rows=100,
                             prefixes={"lbp": "https://w3id.org/lbp-kg/id/"}).body
    assert b"@prefix lbp: <https://w3id.org/lbp-kg/id/>" in body and b"lbp:t0" in body


def test_graphs_beyond_the_cap_are_cut_and_marked(graph_store):
    result = serialize_triples(graph_store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "application/n-triples", max_rows=2)
    assert result.truncated
    assert len(result.body.strip().splitlines()) == 2


def test_the_writer_is_chosen_by_result_type_not_by_query_text(store, graph_store):
    select = serialize_query_result(store.query("SELECT ?x WHERE { BIND(1 AS ?x) }"),
                                    solutions_type="text/csv", graph_type="text/turtle", max_rows=10)
    ask = serialize_query_result(store.query("ASK {}"), solutions_type="text/csv", graph_type="text/turtle",
                                 max_rows=10)
    construct = serialize_query_result(graph_store.query("CONSTRUCT WHERE { ?s ?p ?o }"),
                                       solutions_type="text/csv", graph_type="application/n-triples", max_rows=10)
    assert (select.kind, select.media_type) == ("solutions", "text/csv")
    assert (ask.kind, ask.body) == ("boolean", b"true")
    assert (construct.kind, construct.media_type) == ("graph", "application/n-triples")


def test_a_result_kind_with_no_acceptable_media_type_is_refused(store, graph_store):
    with pytest.raises(ResultNotAcceptable) as refused:
        serialize_query_result(store.query("SELECT * {}"), solutions_type=None, graph_type="text/turtle", max_rows=10)
    assert refused.value.kind == "solutions"
    with pytest.raises(ResultNotAcceptable) as refused:
        serialize_query_result(graph_store.query("CONSTRUCT WHERE { ?s ?p ?o }"), solutions_type="text/csv",
                               graph_type=None, max_rows=10)
    assert refused.value.kind == "graph"
