"""Every answer says which versions it came from: the ontology's release version and the graph's.

``X-LBP-Ontology-Version`` is the loaded ontology's owl:versionInfo (or, for an artefact of a
release, that release's version, set by the view); ``X-LBP-Graph-Version`` changes with every
curated write, so a client can tell two answers of the same ontology version apart.
"""
from __future__ import annotations

from flask import Flask, Response, current_app

ONTOLOGY_VERSION = "X-LBP-Ontology-Version"
GRAPH_VERSION = "X-LBP-Graph-Version"


def _stamp(response: Response) -> Response:
    kb = current_app.extensions.get("lbp_kg")
    if kb is not None:
        response.headers.setdefault(ONTOLOGY_VERSION, kb.ontology_version or "unversioned")
        response.headers.setdefault(GRAPH_VERSION, kb.version)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_stamp)
