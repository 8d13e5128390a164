"""Service metadata: health, the OpenAPI description and a human-readable API page."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, render_template, request

from service.kg.catalog import Catalog
from service.web import openapi as openapi_builder
from service.paths import QUERIES_DIR
from service.web.views.named_queries import CATALOG_KEY

bp = Blueprint("meta", __name__)

#: where the app keeps its OpenAPI document, built once at start-up from its catalogue
OPENAPI_KEY = "lbp_kg.openapi"


def openapi_document() -> dict:
    """Return the OpenAPI 3.1 description of the service over the bundled named queries.

    The hand-written web/openapi.json with a path per named query (service.web.openapi); an app
    serves the same, built from its own catalogue.
    """
    return openapi_builder.bundled_document()


def _app_document() -> dict:
    return current_app.extensions[OPENAPI_KEY]


@bp.get("/health")
def health():
    """Say the service is up and what it has loaded."""
    kb = current_app.extensions["lbp_kg"]
    verdicts = kb.extras.get("extension_verdicts", [])
    failed = [v for v in verdicts if not v.passed]
    return jsonify(
        # "degraded": an extension file failed the gate (left out, or served by override)
        status="degraded" if failed else "ok",
        graphVersion=kb.version,
        ontologyVersion=kb.ontology_version,
        triples=kb.store.triple_count,
        loadSeconds=round(kb.load_seconds, 3),
        store=_store_kind(kb),
        modules=[
            {"iri": m.iri, "version": m.version, "file": m.path.name, "extension": m.is_extension}
            for m in kb.modules
        ],
        # every file of the extensions directory with the gate's verdict: passed, served, and why not
        extensions=[v.as_dict() for v in verdicts],
    )


def _store_kind(kb) -> str:
    backend = current_app.extensions["lbp_kg.settings"].backend
    if backend != "oxigraph":
        return backend
    return "memory"


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI document, with this server as its base URL."""
    document = dict(_app_document())
    document["servers"] = [{"url": request.host_url.rstrip("/")}]
    return jsonify(document)


@bp.get("/docs")
def docs():
    """Render the API description as a page people can read."""
    return render_template("api_docs.html", api=_app_document())


def init_app(app: Flask) -> None:
    """Register the metadata routes and build the OpenAPI document from the app's catalogue."""
    catalog = app.extensions.get(CATALOG_KEY) or Catalog.load(app.config.get("LBP_KG_QUERIES_DIR", QUERIES_DIR))
    app.extensions[OPENAPI_KEY] = openapi_builder.build_document(catalog)
    app.register_blueprint(bp)
