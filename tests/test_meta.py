"""Health, the OpenAPI description and the API page."""
from __future__ import annotations

import re

from openapi_spec_validator import validate


#: routes that serve files rather than API resources
UNDOCUMENTED = {"/static/<path:filename>", "/assets/<path:name>"}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "{" + _camel(m.group(1)) + "}", rule)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_health_reports_the_graph_version_and_every_loaded_module(client, kb):
    health = client.get("/health").get_json()
    assert health["status"] == "ok"
    assert health["graphVersion"] == kb.version
    assert health["ontologyVersion"] == "0.2.0"
    files = {module["file"] for module in health["modules"]}
    assert {"lbp.ttl", "core.ttl", "anatomy.ttl", "clinical.ttl", "care.ttl", "sources.ttl"} <= files
    assert health["triples"] > 3000


def test_the_openapi_document_is_valid_openapi_3_1(client):
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_openapi_document_names_this_server(client):
    document = client.get("/openapi.json", base_url="http://kg.example:8080").get_json()
    assert document["servers"] == [{"url": "http://kg.example:8080"}]


def test_every_route_the_app_serves_is_in_the_openapi_document(app, client):
    documented = set(client.get("/openapi.json").get_json()["paths"])
    served = {_openapi_path(rule.rule) for rule in app.url_map.iter_rules()} - {
        _openapi_path(rule) for rule in UNDOCUMENTED}
    assert served - documented == set()


def test_every_documented_path_is_served(app, client):
    documented = set(client.get("/openapi.json").get_json()["paths"])
    served = {_openapi_path(rule.rule) for rule in app.url_map.iter_rules()}
    # a concrete path (one per named query, service.web.openapi) is served by the template it matches
    templates = [re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + r"\Z") for path in served if "{" in path]
    unserved = {path for path in documented - served if not any(t.match(path) for t in templates)}
    assert unserved == set()


def test_the_api_page_lists_every_endpoint_for_people(client):
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for path in ("/sparql", "/queries/{name}", "/id/{localName}", "/validate", "/search"):
        assert f"<code>{path}</code>" in page


def test_the_ontology_download_lists_every_module_served_with_its_version(client, kb):
    response = client.get("/ontology", headers={"Accept": "text/turtle"})
    listed = response.headers["X-LBP-Modules"].split(", ")
    assert listed[0] == "<https://w3id.org/lbp-kg/ontology> 0.2.0"
    assert len(listed) == len(kb.modules)
    assert "<https://w3id.org/lbp-kg/ontology/anatomy> 0.2.0" in listed  # modules carry versions since 0.2.0


def test_health_says_where_the_process_reads_the_graph(client):
    assert client.get("/health").get_json()["store"] == "memory"
