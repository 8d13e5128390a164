"""POST /validate: submitted RDF, merged with the ontology, checked against the SHACL shapes."""
from __future__ import annotations

import json

import pytest
from rdflib import Graph
from rdflib.namespace import SH

PREFIXES = """
@prefix lbp: <https://w3id.org/lbp-kg/id/> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""

GOOD_MUSCLE = PREFIXES + """
lbp:example-muscle a owl:NamedIndividual , lbp:Muscle ;
    rdfs:label "example muscle"@en ;
    obo:IAO_0000115 "A muscle made up for this test, from the iliac crest to the greater trochanter."@en ;
    obo:RO_0002372 lbp:iliac-crest ;
    obo:RO_0002373 lbp:greater-trochanter ;
    obo:RO_0002005 lbp:superior-gluteal-nerve .
"""

MUSCLE_WITHOUT_INSERTION = PREFIXES + """
lbp:example-muscle a owl:NamedIndividual , lbp:Muscle ;
    rdfs:label "example muscle"@en ;
    obo:IAO_0000115 "A muscle made up for this test, with an origin but no insertion."@en ;
    obo:RO_0002372 lbp:iliac-crest ;
    obo:RO_0002005 lbp:superior-gluteal-nerve .
"""


def post_turtle(client, body: str, **headers):
    return client.post("/validate", data=body.encode("utf-8"),
                       headers={"Content-Type": "text/turtle", **headers})


@pytest.mark.slow
def test_a_well_formed_muscle_conforms(client):
    response = post_turtle(client, GOOD_MUSCLE)
    assert response.status_code == 200
    report = response.get_json()
    assert report["conforms"] is True, report["results"]
    assert report["results"] == []
    assert report["submittedTriples"] == 7


@pytest.mark.slow
def test_a_muscle_without_an_insertion_is_reported_by_name_and_property(client):
    report = post_turtle(client, MUSCLE_WITHOUT_INSERTION).get_json()
    assert report["conforms"] is False
    [result] = [r for r in report["results"] if r["focusNode"].endswith("/example-muscle")]
    assert result["path"] == "obo:RO_0002373"
    assert "insertion" in result["message"]
    assert result["severity"] == "Violation"
    assert result["sourceShape"]


@pytest.mark.slow
def test_the_same_data_as_json_ld_gets_the_same_verdict(client):
    graph = Graph().parse(data=MUSCLE_WITHOUT_INSERTION, format="turtle")
    body = graph.serialize(format="json-ld")
    response = client.post("/validate", data=body, headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 200
    assert response.get_json()["conforms"] is False


@pytest.mark.slow
def test_a_turtle_shacl_report_is_returned_when_asked_for(client):
    response = post_turtle(client, MUSCLE_WITHOUT_INSERTION, Accept="text/turtle")
    assert response.mimetype == "text/turtle"
    report = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert (None, SH.conforms, None) in report
    assert len(list(report.subjects(predicate=SH.focusNode))) >= 1


@pytest.mark.slow
def test_validating_changes_nothing_in_the_served_graph(client, kb):
    version, triples = kb.version, len(kb.graph)
    post_turtle(client, GOOD_MUSCLE)
    assert (kb.version, len(kb.graph)) == (version, triples)
    assert client.get("/search?q=example%20muscle").get_json() == []


def test_malformed_turtle_is_a_400_that_says_where(client):
    response = post_turtle(client, PREFIXES + "lbp:a lbp:b ;; .\n")
    assert response.status_code == 400
    error = response.get_json()
    assert "could not parse" in error["error"]
    assert error["line"] == 6


def test_an_unsupported_media_type_is_a_415_listing_the_accepted_ones(client):
    response = client.post("/validate", data=b"a,b", headers={"Content-Type": "text/csv"})
    assert response.status_code == 415
    assert "text/turtle" in response.get_json()["error"]


def test_an_empty_body_is_a_400(client):
    response = post_turtle(client, "   ")
    assert response.status_code == 400
    assert "empty" in response.get_json()["error"]


def test_a_body_that_is_not_utf8_is_a_400(client):
    response = client.post("/validate", data="é".encode("latin-1"), headers={"Content-Type": "text/turtle"})
    assert response.status_code == 400
    assert "UTF-8" in response.get_json()["error"]


def test_an_unproducible_report_format_is_a_406(client):
    response = post_turtle(client, GOOD_MUSCLE, Accept="image/png")
    assert response.status_code == 406


def test_a_remote_json_ld_context_is_refused_not_fetched(client):
    body = json.dumps({"@context": "http://127.0.0.1:9/context.jsonld", "@id": "lbp:x"})
    response = client.post("/validate", data=body, headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 400
    assert "not fetched" in response.get_json()["error"]


def test_xml_entity_declarations_are_refused(client):
    body = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="https://w3id.org/lbp-kg/id/x"><rdfs:label>&xxe;</rdfs:label></rdf:Description>
</rdf:RDF>"""
    response = client.post("/validate", data=body, headers={"Content-Type": "application/rdf+xml"})
    assert response.status_code == 400
    assert "entity" in response.get_json()["error"]


def test_a_body_over_the_size_limit_is_a_413(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = post_turtle(client, "#" * (limit + 1))
    assert response.status_code == 413
    assert response.is_json
