"""The OpenAPI document: the hand-written web/openapi.json plus one path per named query.

The hand-written file describes the service's fixed routes (``/queries/{name}`` among them, which
stays: clients written against it keep working). Each named query of the catalogue also gets a
path of its own, ``/queries/<name>``, generated from its ``.rq`` header when the app starts, so a
client generator (openapi-python-client, openapi-generator) writes one typed call per question:
its title as the summary, its question as the description, each parameter required, described,
with the header's example, and a response schema naming the query's columns. OpenAPI 3.1 lets a
concrete path stand beside the template it matches; concrete paths match first.

Generated paths never replace a hand-written one: a path written in openapi.json wins, so edits to
the file and new queries in queries/ merge without touching each other.
"""
from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path

from service.kg.catalog import ANY_TYPE, Catalog, NamedQuery
from service.kg.media_types import SOLUTION_TYPES
from service.paths import QUERIES_DIR

OPENAPI_FILE = Path(__file__).resolve().parent / "openapi.json"
#: the operation the generated paths take their error answers from
TEMPLATE_PATH = "/queries/{name}"
TAG = "named queries"
#: one RDF term in SPARQL 1.1 Query Results JSON (section 3.2.2)
RDF_TERM_SCHEMA = {
    "type": "object",
    "description": "One RDF term of a solution (SPARQL 1.1 Query Results JSON Format, 3.2.2).",
    "required": ["type", "value"],
    "properties": {
        "type": {"type": "string", "enum": ["uri", "literal", "bnode", "triple"]},
        "value": {"type": "string"},
        "datatype": {"type": "string", "description": "A literal's datatype IRI."},
        "xml:lang": {"type": "string", "description": "A literal's language tag."},
    },
}


@lru_cache(maxsize=1)
def hand_written_document() -> dict:
    """Return web/openapi.json as written (read once per process; callers copy before changing it)."""
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


def operation_id(query: NamedQuery) -> str:
    """Return the query's operationId: ``query`` and its name in camelCase (queryLowerCrossedPattern)."""
    return "query" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", query.name) if part)


def results_schema_name(query: NamedQuery) -> str:
    """Return the name of the query's result schema under components/schemas (CompensatorsResults)."""
    return operation_id(query).removeprefix("query") + "Results"


def results_schema(query: NamedQuery) -> dict:
    """Return the JSON schema of the query's SPARQL JSON answer, with its columns as properties."""
    columns = list(query.columns)
    return {
        "type": "object",
        "description": f"The answer of {query.name} in SPARQL 1.1 Query Results JSON: one binding per row, "
                       "a column absent where it has no value.",
        "required": ["head", "results"],
        "properties": {
            "head": {
                "type": "object",
                "required": ["vars"],
                "properties": {
                    "vars": {"type": "array", "items": {"type": "string", "enum": columns}},
                    "truncated": {"type": "boolean",
                                  "description": "Present and true when the rows were cut at the row cap."},
                },
            },
            "results": {
                "type": "object",
                "required": ["bindings"],
                "properties": {
                    "bindings": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {column: {"$ref": "#/components/schemas/RdfTerm"} for column in columns},
                            "additionalProperties": False,
                        },
                    },
                },
            },
        },
    }


def _parameter(query: NamedQuery, parameter) -> dict:
    accepts = ", ".join(parameter.types) if parameter.types else ANY_TYPE
    described = {
        "name": parameter.name,
        "in": "query",
        "required": True,
        "description": f"{parameter.description} Accepts an entity of type: {accepts}.",
        "schema": {"type": "string", "minLength": 1},
    }
    example = dict(query.examples).get(parameter.name)
    if example is not None:
        described["example"] = example
    return described


def query_operation(query: NamedQuery, template: dict) -> dict:
    """Return the GET operation of one named query, its error answers as ``template``'s."""
    results_ref = {"$ref": f"#/components/schemas/{results_schema_name(query)}"}
    content = {media_type: {"schema": {"type": "string"}} for media_type in SOLUTION_TYPES}
    content["application/sparql-results+json"] = content["application/json"] = {"schema": results_ref}
    responses = copy.deepcopy(template.get("responses", {}))
    responses["200"] = {"description": f"The answer: columns {', '.join(query.columns)}. SPARQL JSON by default; "
                                       "XML, CSV and TSV by Accept or format=.",
                        "content": content}
    return {
        "tags": [TAG],
        "summary": query.title,
        "description": f"{query.description}\n\nEach parameter is a label, synonym, CURIE or IRI, resolved to one "
                       f"entity of the types it accepts. The SPARQL: queries/{query.path.name}.",
        "operationId": operation_id(query),
        "parameters": [_parameter(query, p) for p in query.parameters]
                      + [{"$ref": "#/components/parameters/format"}],
        "responses": responses,
    }


def build_document(catalog: Catalog, base: dict | None = None) -> dict:
    """Return the OpenAPI document: ``base`` (the hand-written one) with a path per named query added."""
    document = copy.deepcopy(base if base is not None else hand_written_document())
    paths, schemas = document.setdefault("paths", {}), document.setdefault("components", {}).setdefault("schemas", {})
    template = paths.get(TEMPLATE_PATH, {}).get("get", {})
    schemas.setdefault("RdfTerm", RDF_TERM_SCHEMA)
    for query in catalog:
        path = f"/queries/{query.name}"
        if path in paths:
            continue  # written by hand: the file wins
        paths[path] = {"get": query_operation(query, template)}
        schemas.setdefault(results_schema_name(query), results_schema(query))
    tags = document.setdefault("tags", [])
    if not any(tag.get("name") == TAG for tag in tags):
        tags.append({"name": TAG, "description": "One operation per competency question (GET /queries lists them)."})
    return document


@lru_cache(maxsize=1)
def bundled_document() -> dict:
    """Return the document for the bundled catalogue (queries/), built once per process."""
    return build_document(Catalog.load(QUERIES_DIR))
