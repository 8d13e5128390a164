"""Named queries blueprint: the catalogue at GET /queries, one query at GET /queries/<name>.

A parameter value is resolved to one entity of the types the query's header accepts (see
service.kg.labels) and bound by SPARQL substitution; the answer goes through the same request path
as /sparql (service.web.query_response): time limit, row cap, content negotiation, JSON errors.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request

from service.kg.catalog import Catalog, MissingParameter, NamedQuery
from service.web.errors import ApiError
from service.kg.labels import AmbiguousEntity, EntityNotFound, LabelIndex
from service.paths import QUERIES_DIR
from service.web.query_response import respond_to_query
from service.store import ASSERTED_GRAPH

CATALOG_KEY = "lbp_kg.catalog"
#: query-string names that are not query parameters (read by content negotiation)
RESERVED_ARGS = frozenset({"format"})

bp = Blueprint("named_queries", __name__)


def get_catalog(app: Flask) -> Catalog:
    """Return the app's catalogue of named queries."""
    return app.extensions[CATALOG_KEY]


def _entity_choices(entities) -> list[dict]:
    return [{"id": e.curie, "iri": e.iri, "label": e.label, "type": e.type, "typeLabel": e.type_label}
            for e in entities]


def resolve_arguments(query: NamedQuery, args, index: LabelIndex) -> dict[str, str]:
    """Resolve each parameter value in ``args`` to an entity IRI, or raise a JSON ApiError."""
    unknown = sorted(set(args) - {p.name for p in query.parameters} - RESERVED_ARGS)
    if unknown:
        raise ApiError(400, f"query {query.name!r} has no parameter {', '.join(map(repr, unknown))}",
                       parameters=[p.name for p in query.parameters])
    iris: dict[str, str] = {}
    for parameter in query.parameters:
        value = (args.get(parameter.name) or "").strip()
        if not value:
            raise ApiError(400, str(MissingParameter(query, parameter)), parameter=parameter.name,
                           accepts=list(parameter.types) or ["any"])
        try:
            iris[parameter.name] = index.resolve(value, parameter.type_iris or None).iri
        except EntityNotFound as err:
            raise ApiError(404, f"{parameter.name}: {err}", parameter=parameter.name, value=value,
                           accepts=list(parameter.types) or ["any"],
                           suggestions=_entity_choices(err.suggestions)) from None
        except AmbiguousEntity as err:
            raise ApiError(400, f"{parameter.name}: {err}", parameter=parameter.name, value=value,
                           candidates=_entity_choices(err.candidates)) from None
    return iris


@bp.get("/queries")
def list_queries():
    """List the named queries: name, title, description and parameters of each."""
    return jsonify(get_catalog(current_app).as_json())


@bp.get("/queries/<name>")
def run_named_query(name: str):
    """Run one named query with its parameters resolved and bound."""
    catalog = get_catalog(current_app)
    query = catalog.get(name)
    if query is None:
        raise ApiError(404, f"there is no named query {name!r}; GET /queries lists them",
                       available=catalog.names)
    iris = resolve_arguments(query, request.args, current_app.extensions["lbp_kg"].labels)
    kb = current_app.extensions["lbp_kg"]
    # named queries report sourced claims: they read the asserted graphs (see store.query)
    return respond_to_query(kb, query.text, substitutions=query.bind(iris),
                            default_graph_uris=(ASSERTED_GRAPH,), cache_key=(name, tuple(sorted(iris.items()))))


def init_app(app: Flask) -> None:
    """Load the catalogue and the label index once, and register the blueprint."""
    app.extensions[CATALOG_KEY] = Catalog.load(app.config.get("LBP_KG_QUERIES_DIR", QUERIES_DIR))
    app.extensions["lbp_kg"].labels  # built at start-up, not by the first request
    app.register_blueprint(bp)
