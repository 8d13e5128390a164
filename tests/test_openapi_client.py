"""The OpenAPI document drives a client generator: one typed call per named query (issue 15).

/openapi.json holds a path per named query, generated from the catalogue's ``.rq`` headers
(service.web.openapi). This module checks the document against the catalogue, then generates a
Python client from it with openapi-python-client (pinned in pyproject's test extra), imports it,
and calls every named query through it, over httpx's WSGI transport to the app in this process
(no socket), as an app developer's code would.
"""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from openapi_python_client.strings import PythonIdentifier, snake_case
from openapi_spec_validator import validate

from service.kg.catalog import Catalog
from service.paths import QUERIES_DIR
from service.web.openapi import hand_written_document, operation_id, results_schema_name

CATALOG = Catalog.load(QUERIES_DIR)
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="module")
def document(app):
    return app.test_client().get("/openapi.json").get_json()


def test_the_document_with_its_generated_paths_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_hand_written_path_and_operation_is_kept(document):
    for path, operations in hand_written_document()["paths"].items():
        assert document["paths"][path] == operations, path


@pytest.mark.parametrize("query", list(CATALOG), ids=CATALOG.names)
def test_each_named_query_has_a_path_of_its_own_from_its_header(document, query):
    operation = document["paths"][f"/queries/{query.name}"]["get"]
    assert operation["operationId"] == operation_id(query)
    assert operation["summary"] == query.title
    assert operation["description"].startswith(query.description)
    parameters = {p["name"]: p for p in operation["parameters"] if "name" in p}
    assert list(parameters) == [p.name for p in query.parameters]
    for parameter in query.parameters:
        described = parameters[parameter.name]
        assert described["in"] == "query" and described["required"] is True
        assert described["description"].startswith(parameter.description)
        assert described["example"] == dict(query.examples)[parameter.name]
    schema = document["components"]["schemas"][results_schema_name(query)]
    assert schema["properties"]["head"]["properties"]["vars"]["items"]["enum"] == list(query.columns)
    bindings = schema["properties"]["results"]["properties"]["bindings"]["items"]
    assert list(bindings["properties"]) == list(query.columns) and bindings["additionalProperties"] is False
    ok = operation["responses"]["200"]["content"]
    assert ok["application/sparql-results+json"]["schema"]["$ref"].endswith("/" + results_schema_name(query))
    assert {"404", "400", "406"} <= set(operation["responses"])


@pytest.fixture(scope="module")
def generated_client(document, tmp_path_factory):
    """Generate a Python client package from the served document and import it."""
    root = tmp_path_factory.mktemp("client")
    (root / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    result = subprocess.run([str(GENERATOR), "generate", "--path", "openapi.json", "--meta", "none"],
                            cwd=root, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ['PATH']}"})
    assert result.returncode == 0, result.stdout + result.stderr
    # the generator warns of request bodies it cannot type (SPARQL, RDF); none may concern a named query
    assert "/queries/" not in result.stdout + result.stderr, result.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("lbp_kg_client")
    finally:
        sys.path.remove(str(root))


@pytest.fixture(scope="module")
def api(generated_client, app):
    transport = httpx.WSGITransport(app=app)
    with generated_client.Client(base_url="http://lbp-kg.test", httpx_args={"transport": transport}) as api:
        yield api


def _operation(generated_client, query):
    return importlib.import_module(f"{generated_client.__name__}.api.named_queries.{snake_case(operation_id(query))}")


@pytest.mark.slow
def test_compensators_called_through_the_generated_client(generated_client, api, client):
    compensators = importlib.import_module(f"{generated_client.__name__}.api.named_queries.query_compensators")
    response = compensators.sync_detailed(client=api, muscle="gluteus medius")
    assert response.status_code == 200
    results = response.parsed
    assert type(results).__name__ == "CompensatorsResults"
    labels = sorted(row.compensator_label.value for row in results.results.bindings)
    expected = client.get("/queries/compensators?muscle=gluteus medius").get_json()["results"]["bindings"]
    assert labels == sorted(row["compensatorLabel"]["value"] for row in expected) and labels
    assert [v.value for v in results.head.vars_] == list(CATALOG.get("compensators").columns)


def test_an_unknown_muscle_comes_back_as_the_documented_error_type(generated_client, api):
    compensators = importlib.import_module(f"{generated_client.__name__}.api.named_queries.query_compensators")
    response = compensators.sync_detailed(client=api, muscle="gluteus maximuss of the moon")
    assert response.status_code == 404
    assert type(response.parsed).__name__ == "UnknownEntityError"
    assert response.parsed.parameter == "muscle"


@pytest.mark.parametrize("query", list(CATALOG), ids=CATALOG.names)
def test_every_named_query_answers_its_generated_call_with_its_typed_results(generated_client, api, query):
    call = _operation(generated_client, query)
    # the argument names as the generator spells them (from -> from_, camelCase -> snake_case)
    arguments = {PythonIdentifier(name, prefix="field"): value for name, value in query.examples}
    response = call.sync_detailed(client=api, **arguments)
    assert response.status_code == 200, response.content[:500]
    assert type(response.parsed).__name__ == results_schema_name(query), response.content[:500]
    assert [v.value for v in response.parsed.head.vars_] == list(query.columns)
