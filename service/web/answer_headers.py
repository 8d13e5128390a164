"""Headers that describe every answer: the versions it came from, and a file name when asked.

Versions: ``X-LBP-Ontology-Version`` is the loaded ontology's owl:versionInfo (or, for an artefact
of a release, that release's version, set by the view); ``X-LBP-Graph-Version`` changes with every
curated write, so a client can tell two answers of the same ontology version apart.

Files: ``?download=1`` adds ``Content-Disposition: attachment`` with a file name.

Content negotiation is unchanged (``Accept`` or ``?format=`` chooses the type, as for any
client); the flag only tells a browser to save the answer rather than fill the tab with it: the
footer's "Download the ontology", the questions' CSV and JSON links. The name says what the file
is, with the extension of the type served: the ontology with its version (lbp-kg-0.2.0.ttl), a
release artefact with its version (lbp-kg-base-0.2.0.owl), a named query's name
(compensators.csv), an entity's local name (gluteus-medius.ttl).
"""
from __future__ import annotations

import re

from flask import Flask, Response, current_app, request

ONTOLOGY_VERSION = "X-LBP-Ontology-Version"
GRAPH_VERSION = "X-LBP-Graph-Version"

#: the query-string flag; any value but these asks for a file (``?download`` alone too)
PARAMETER = "download"
NOT_WANTED = frozenset({"0", "false", "no"})
#: file extensions by media type (RDF/XML of the ontology is .owl, as OWL tools expect)
EXTENSIONS = {
    "text/turtle": "ttl", "application/rdf+xml": "rdf", "application/ld+json": "jsonld",
    "application/n-triples": "nt", "text/obo": "obo", "application/json": "json",
    "application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def wanted() -> bool:
    """Tell whether the request asks for its answer as a file to save."""
    value = request.args.get(PARAMETER)
    return value is not None and value.strip().lower() not in NOT_WANTED


def file_name(path: str, media_type: str, version: str | None) -> str:
    """Return the name to save an answer of ``path`` in ``media_type`` under."""
    parts = [part for part in path.split("/") if part]
    extension = EXTENSIONS.get(media_type, "txt")
    if parts and parts[0] == "ontology":
        version = version or "unversioned"
        if len(parts) == 3:  # /ontology/<version>/<artefact>: the artefact's own name and extension
            stem, _, suffix = parts[2].rpartition(".")
            return _safe(f"{stem or parts[2]}-{version}.{suffix or extension}")
        return _safe(f"lbp-kg-{version}.{'owl' if extension == 'rdf' else extension}")
    if parts and parts[0] == "sparql":
        return f"sparql-answer.{extension}"
    return _safe(f"{parts[-1] if parts else 'lbp-kg'}.{extension}")


def _safe(name: str) -> str:
    return _UNSAFE.sub("-", name).strip("-.") or "download"


def _as_attachment(response: Response) -> Response:
    if response.status_code == 200 and response.mimetype != "text/html" and wanted():
        kb = current_app.extensions.get("lbp_kg")
        version = response.headers.get(ONTOLOGY_VERSION) or (kb.ontology_version if kb is not None else None)
        response.headers.set("Content-Disposition", "attachment",
                             filename=file_name(request.path, response.mimetype, version))
    return response


def _stamp_versions(response: Response) -> Response:
    kb = current_app.extensions.get("lbp_kg")
    if kb is not None:
        response.headers.setdefault(ONTOLOGY_VERSION, kb.ontology_version or "unversioned")
        response.headers.setdefault(GRAPH_VERSION, kb.version)
    return response


def init_app(app: Flask) -> None:
    """Stamp every answer with its versions; mark answers asked for with ``?download`` as files."""
    app.after_request(_as_attachment)
    app.after_request(_stamp_versions)  # runs first: after_request functions run in reverse order
