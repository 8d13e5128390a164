"""Released versions are served at their version IRIs; any other version is a 404."""
from __future__ import annotations

import pytest

from service.curation.release import build_release

#: the module builds a release to serve (seconds)
pytestmark = pytest.mark.slow

VERSION = "0.2.0"


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    directory = tmp_path_factory.mktemp("releases")
    build_release(VERSION, directory / VERSION, run_reasoner=False)
    build_release("0.1.9", directory / "0.1.9", run_reasoner=False)
    return directory


@pytest.fixture()
def release_client(make_app, releases):
    return make_app(releases_dir=str(releases)).test_client()


def test_a_released_version_is_negotiated_among_its_artefacts(release_client, releases):
    owl = release_client.get(f"/ontology/{VERSION}")
    assert owl.status_code == 200 and owl.mimetype == "application/rdf+xml"
    assert owl.data == (releases / VERSION / "lbp-kg.owl").read_bytes()
    assert owl.headers["X-LBP-Ontology-Version"] == VERSION
    turtle = release_client.get(f"/ontology/{VERSION}", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle" and turtle.data == (releases / VERSION / "lbp-kg.ttl").read_bytes()
    obo = release_client.get(f"/ontology/{VERSION}?format=obo")
    assert obo.mimetype == "text/obo" and obo.data.startswith(b"format-version: 1.4")
    refused = release_client.get(f"/ontology/{VERSION}", headers={"Accept": "text/html"})
    assert refused.status_code == 406
    assert refused.get_json()["available"] == ["application/rdf+xml", "text/turtle", "application/json", "text/obo"]


def test_each_artefact_has_its_own_path(release_client, releases):
    older = release_client.get("/ontology/0.1.9/lbp-kg-base.owl")
    assert older.status_code == 200 and older.data == (releases / "0.1.9" / "lbp-kg-base.owl").read_bytes()
    assert b"0.1.9/lbp-kg-base.owl" in older.data
    graphs = release_client.get(f"/ontology/{VERSION}/lbp-kg.json")
    assert graphs.mimetype == "application/json" and graphs.get_json()["graphs"][0]["meta"]["version"].endswith(VERSION)
    missing = release_client.get(f"/ontology/{VERSION}/lbp-kg.zip")
    assert missing.status_code == 404 and "lbp-kg.owl" in missing.get_json()["artefacts"]


@pytest.mark.parametrize("path", ["/ontology/9.9.9", "/ontology/9.9.9/lbp-kg.owl", "/ontology?version=9.9.9",
                                  "/ontology/latest"])
def test_an_unknown_version_is_a_404_naming_the_versions_there_are(release_client, path):
    response = release_client.get(path)
    assert response.status_code == 404
    assert response.get_json()["versions"] == ["0.1.9", VERSION]


def test_the_loaded_version_answers_at_its_version_iri_without_a_release(make_app, tmp_path):
    client = make_app(releases_dir=str(tmp_path / "none")).test_client()
    response = client.get(f"/ontology/{VERSION}", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.data == client.get("/ontology", headers={"Accept": "text/turtle"}).data
    assert client.get(f"/ontology?version={VERSION}").status_code == 200


def test_asking_ontology_for_an_older_release_redirects_to_its_version_iri(release_client):
    response = release_client.get("/ontology?version=0.1.9")
    assert response.status_code == 303 and response.headers["Location"].endswith("/ontology/0.1.9")


@pytest.mark.parametrize("path", ["/health", "/queries", "/queries/compensators?muscle=gluteus%20medius",
                                  "/id/gluteus-medius", "/id/no-such-thing", "/sparql?query=ASK%7B%7D",
                                  "/sparql?query=nonsense", "/docs", "/context.jsonld", "/ontology",
                                  "/ontology/9.9.9", "/openapi.json"])
def test_every_answer_carries_the_ontology_and_graph_versions(client, kb, path):
    response = client.get(path)
    assert response.headers["X-LBP-Ontology-Version"] == VERSION, response.status_code
    assert response.headers["X-LBP-Graph-Version"] == kb.version


# ---- negotiation that tells the truth: a 406 lists what THIS resource can be, format= is named

SELECT_TYPES = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values", "application/json"]
GRAPH_TYPES = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]


@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/ld+json"])
def test_a_named_select_query_refuses_with_exactly_the_select_formats(client, accept):
    response = client.get("/queries/compensators?muscle=gluteus%20medius", headers={"Accept": accept})
    assert response.status_code == 406
    body = response.get_json()
    assert body["available"] == SELECT_TYPES and "Accept header" in body["error"]
    # and every type it lists is then served
    for media_type in body["available"]:
        served = client.get("/queries/compensators?muscle=gluteus%20medius", headers={"Accept": media_type})
        assert served.status_code == 200 and served.mimetype == media_type


def test_a_construct_query_refuses_with_exactly_the_graph_formats(client):
    response = client.get("/sparql", query_string={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1"},
                          headers={"Accept": "text/csv"})
    assert response.status_code == 406 and response.get_json()["available"] == GRAPH_TYPES


@pytest.mark.parametrize("path", ["/queries/compensators?muscle=gluteus%20medius&format=yaml",
                                  "/sparql?query=ASK%7B%7D&format=yaml", "/id/gluteus-medius?format=yaml",
                                  "/ontology?format=yaml"])
def test_a_bad_format_parameter_is_blamed_on_the_parameter(client, path):
    response = client.get(path, headers={"Accept": "*/*"})
    assert response.status_code == 406
    error = response.get_json()["error"]
    assert "format='yaml'" in error and "Accept header" not in error


def test_the_loaded_ontology_is_served_as_obo_too(client):
    import fastobo

    by_format = client.get("/ontology?format=obo")
    by_accept = client.get("/ontology", headers={"Accept": "text/obo"})
    assert by_format.status_code == by_accept.status_code == 200
    assert by_format.mimetype == "text/obo" and by_format.data == by_accept.data
    document = fastobo.loads(by_format.get_data(as_text=True), threads=1)
    assert any(str(clause) == f"data-version: {VERSION}" for clause in document.header)
    assert len(document) > 300
    refused = client.get("/ontology", headers={"Accept": "text/html"}).get_json()
    assert refused["available"] == GRAPH_TYPES + ["text/obo"] and "obo" in refused["formats"]
