"""Named queries blueprint: the catalogue at GET /queries, one query at GET /queries/<name>.

A parameter value is resolved to one entity of the types the query's header accepts (see
service.kg.labels) and bound by SPARQL substitution; the answer goes through the same request path
as /sparql (service.web.query_response): time limit, row cap, content negotiation, JSON errors.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request

from service.kg.catalog import Catalog, MissingParameter, NamedQuery
from service.web.errors import ApiError
from service.kg import ask
from service.kg.labels import EntityNotFound, LabelIndex
from service.paths import QUERIES_DIR
from service.web.query_response import respond_to_query
from service.store import ASSERTED_GRAPH

CATALOG_KEY = "lbp_kg.catalog"
#: query-string names that are not query parameters (read by content negotiation, and the
#: download flag of service.web.answer_headers)
RESERVED_ARGS = frozenset({"format", "download"})

bp = Blueprint("named_queries", __name__)


def get_catalog(app: Flask) -> Catalog:
    """Return the app's catalogue of named queries."""
    return app.extensions[CATALOG_KEY]


def _entity_choices(entities) -> list[dict]:
    return [{"id": e.curie, "iri": e.iri, "label": e.label, "type": e.type, "typeLabel": e.type_label}
            for e in entities]


def resolve_arguments(query: NamedQuery, args, index: LabelIndex) -> dict[str, str]:
    """Resolve each parameter value in ``args`` to an entity IRI (service.kg.ask), or raise a JSON ApiError."""
    try:
        return ask.resolve_arguments(query, args, index, ignored=RESERVED_ARGS)
    except ask.UnknownParameters as err:
        raise ApiError(400, str(err), parameters=[p.name for p in query.parameters]) from None
    except MissingParameter as err:
        raise ApiError(400, str(err), parameter=err.parameter.name,
                       accepts=list(err.parameter.types) or ["any"]) from None
    except ask.UnresolvedArgument as err:
        parameter, cause = err.parameter, err.cause
        if isinstance(cause, EntityNotFound):
            raise ApiError(404, str(err), parameter=parameter.name, value=err.value,
                           accepts=list(parameter.types) or ["any"],
                           suggestions=_entity_choices(cause.suggestions)) from None
        raise ApiError(400, str(err), parameter=parameter.name, value=err.value,
                       candidates=_entity_choices(cause.candidates)) from None


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
