"""Shared fixtures: one app (the ontology loads once per test session), a client, the SPARQL engines."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from rdflib import OWL, Graph

from service import create_app
from service.config import load_config
from service.kg.ask import ask as ask_named_query
from service.kg.catalog import Catalog
from service.kg.knowledge import load_data
from service.kg.rdf_files import parse_rdf_file
from service.paths import ONTOLOGY_DIR, QUERIES_DIR
from service.web.query_response import started_query_executor
from tests import engines

#: The project's reference identifiers and anatomy facts, kept in the repository with their sources.
REFERENCE_DIR = ONTOLOGY_DIR / "reference"


def pytest_collection_modifyitems(items):
    """Give each API operation schemathesis tests (tests/test_openapi_fuzz.py) an id of its own.

    schemathesis 4.32 names its items ``test[GET /path]`` but pytest 9 builds an item's id from its
    original name, so every operation got the same id: a failure did not say which operation, and
    pytest-xdist, which schedules by id, ran 2 of the 54 operations. The operation's label becomes
    the id's parameters, as pytest.mark.parametrize would write them.
    """
    for item in items:
        label = getattr(item, "operation_label", None)
        if label is not None and item.id.params is None:
            item._id = replace(item.id, params=label)


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


@pytest.fixture()
def runner():
    """Invokes the ``lbp-kg`` command line in process (click's runner)."""
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture()
def make_app(tmp_path):
    """Build an app with other settings (its own cache directory unless one is given)."""
    def build(**settings):
        application = create_app({"cache_dir": str(tmp_path / "cache"), "query_timeout": 5.0, **settings})
        application.config["TESTING"] = True
        return application

    return build


def stop_query_workers(app) -> None:
    """Stop the worker processes the app started for /sparql; its first query starts them, if any came."""
    executor = started_query_executor(app.extensions["lbp_kg"])
    if executor is not None:
        executor.close()


def edge_axioms(graph: Graph, subject, relation, target) -> list:
    """The owl:Axiom nodes that annotate the edge subject -relation-> target (its claims)."""
    return [axiom for axiom in graph.subjects(OWL.annotatedSource, subject)
            if (axiom, OWL.annotatedProperty, relation) in graph and (axiom, OWL.annotatedTarget, target) in graph]


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

    def run(name: str, **params: str) -> list[dict]:
        solutions = ask_named_query(kb, catalog.get(name), params)
        columns = [v.value for v in solutions.variables]
        return [{c: (row[c].value if row[c] is not None else None) for c in columns} for row in solutions]

    return run


# --- SPARQL engines for the remote backend: one of each per session, on loopback -----------------

@pytest.fixture(scope="session")
def engine_data(tmp_path_factory):
    """The bundled ontology's graphs, as every backend loads them and ``lbp-kg export`` writes them."""
    return load_data(load_config({"cache_dir": str(tmp_path_factory.mktemp("engine-cache"))}))[1]


def _engine_process(start, folder: str):
    """A session fixture yielding (process, endpoint) of an engine started by ``start``, then stopping it."""
    @pytest.fixture(scope="session")
    def engine_process(engine_data, tmp_path_factory):
        try:
            process, endpoint = start(engine_data, tmp_path_factory.mktemp(folder))
        except engines.EngineUnavailable as err:
            pytest.fail(str(err))
        yield process, endpoint
        engines.stop(process)
    return engine_process


#: a read-only ``oxigraph serve`` holding the service's graphs
oxigraph_server_process = _engine_process(engines.start_oxigraph_server, "oxigraph-server")
#: Debian's Virtuoso 7 on a fresh database holding the service's graphs
virtuoso_process = _engine_process(engines.start_virtuoso, "virtuoso")


@pytest.fixture(scope="session")
def oxigraph_server(oxigraph_server_process):
    """The query endpoint of the session's Oxigraph server."""
    return oxigraph_server_process[1]


@pytest.fixture(scope="session")
def virtuoso(virtuoso_process):
    """The SPARQL endpoint of the session's Virtuoso."""
    return virtuoso_process[1]


#: The OWL API check (tests/owlapi/OwlApiCheck.java), run by the JDK's single-file source launcher.
OWLAPI_CHECK = Path(__file__).parent / "owlapi" / "OwlApiCheck.java"


@dataclass
class OwlApiReport:
    """What the OWL API made of a document: its facts, relations and OWL 2 DL profile violations."""

    facts: dict[str, str]
    assertions: set[tuple[str, str, str]]
    violations: list[str]
    missing_imports: list[str]

    def count(self, key: str) -> int:
        return int(self.facts[key])


@pytest.fixture(scope="session")
def owlapi():
    """Load a document (optionally through a catalog) with the OWL API 3.4.3 inside owlready2's HermiT jar."""
    import owlready2

    java = shutil.which("java")
    if java is None:
        pytest.skip("the OWL API check needs Java (scripts/install-system-deps installs a JDK)")
    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"

    def load(document: Path, catalog: Path | None = None) -> OwlApiReport:
        command = [java, "-cp", str(jar), str(OWLAPI_CHECK), str(document)]
        if catalog is not None:
            command.append(str(catalog))
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"the OWL API could not load {document}:\n{done.stderr[-3000:]}"
        facts, assertions, violations, missing = {}, set(), [], []
        for line in done.stdout.splitlines():
            key, _, value = line.partition("\t")
            if key == "assertion":
                assertions.add(tuple(value.split("\t")))
            elif key == "violation":
                violations.append(value)
            elif key == "missing_import":
                missing.append(value)
            else:
                facts[key] = value
        return OwlApiReport(facts, assertions, violations, missing)

    return load
