"""Reads are open to browser apps on any origin; writes are not."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", [
    "/sparql?query=ASK%20%7B%7D", "/queries", "/queries/compensators?muscle=gluteus%20medius",
    "/id/gluteus-medius", "/context.jsonld", "/search?q=psoas", "/ontology", "/health",
])
def test_every_read_allows_any_origin(client, path):
    response = client.get(path, headers={"Origin": "https://app.example"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_a_query_by_post_is_a_read_and_allows_any_origin(client):
    response = client.post("/sparql", data="ASK {}", headers={"Content-Type": "application/sparql-query",
                                                             "Origin": "https://app.example"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_for_a_direct_post_query_is_answered(client):
    response = client.options("/sparql", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("path", ["/update", "/graph-store?graph=https://example.org/g"])
def test_writes_are_not_opened_to_other_origins(client, path):
    response = client.post(path, data="x", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
