"""Shared fixtures: one app (the ontology loads once per test session), a client, a CLI runner."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from rdflib import Graph

from service import create_app
from service.catalog import Catalog
from service.labels import get_label_index
from service.paths import ONTOLOGY_DIR, PROJECT_ROOT, QUERIES_DIR
from service.rdf_files import parse_rdf_file



def _reference_dir() -> Path:
    """Find the project's reference files: shared/ beside the checkout (as in CI) or above it."""
    if "LBP_KG_REFERENCE_DIR" in os.environ:
        return Path(os.environ["LBP_KG_REFERENCE_DIR"])
    candidates = [parent / "shared" / "reference" for parent in PROJECT_ROOT.parents]
    return next((c for c in candidates if c.is_dir()), candidates[0])


#: The project's reference identifiers and anatomy (tests fail, saying where they looked, without it).
REFERENCE_DIR = _reference_dir()


@pytest.fixture(scope="session")
def app():
    """The service app on the bundled ontology, in testing mode."""
    application = create_app({"query_timeout": 5.0})
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def kb(app):
    """The loaded knowledge base (modules, merged graph, store)."""
    return app.extensions["lbp_kg"]


#: The section headings of the article, as lbp:sourceSection must quote them.
ARTICLE_SECTIONS = frozenset({
    "Lower crossed syndrome: where the pattern begins",
    "What this does to the disc",
    "Recognising psoas involvement",
    "Assessment in clinic",
    "What treatment involves",
    "What to expect when you visit",
})


@pytest.fixture(scope="session")
def modules_graph() -> Graph:
    """Every module of the bundled ontology, merged as rdflib reads the files."""
    merged = Graph()
    for path in sorted((ONTOLOGY_DIR / "modules").glob("*.ttl")):
        merged += parse_rdf_file(path)
    return merged


@pytest.fixture(scope="session")
def catalog():
    return Catalog.load(QUERIES_DIR)


@pytest.fixture(scope="session")
def ask(app, catalog):
    """Run a named query by name with label-valued parameters, resolved and bound as the API
    does; return rows of plain strings."""
    kb = app.extensions["lbp_kg"]
    index = get_label_index(app)

    def run(name: str, **params: str) -> list[dict]:
        query = catalog.get(name)
        iris = {p.name: index.resolve(params[p.name], p.type_iris or None).iri for p in query.parameters}
        solutions = kb.store.query(query.text, substitutions=query.bind(iris))
        columns = [v.value for v in solutions.variables]
        return [{c: (row[c].value if row[c] is not None else None) for c in columns} for row in solutions]

    return run
