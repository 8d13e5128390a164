"""Service metadata: health, the OpenAPI description and a human-readable API page."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, render_template, request

bp = Blueprint("meta", __name__)

OPENAPI_FILE = Path(__file__).resolve().parent.parent / "openapi.json"


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    """Return the OpenAPI 3.1 description of the service (read once per process)."""
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


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
    document = dict(openapi_document())
    document["servers"] = [{"url": request.host_url.rstrip("/")}]
    return jsonify(document)


@bp.get("/docs")
def docs():
    """Render the API description as a page people can read."""
    return render_template("api_docs.html", api=openapi_document())


def init_app(app: Flask) -> None:
    """Register the metadata routes."""
    app.register_blueprint(bp)
