"""Shared fixtures: one app (the ontology loads once per test session), a client, the SPARQL engines."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from service import create_app
from service.config import load_config
from service.knowledge import load_data
from service.paths import PROJECT_ROOT
from tests import engines


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
