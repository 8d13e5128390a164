"""Shared fixtures: one app (the ontology loads once per test session), a client, a CLI runner."""
from __future__ import annotations

import pytest

from service import create_app
from service.paths import ONTOLOGY_DIR

#: The project's reference identifiers and anatomy facts, kept in the repository with their sources.
REFERENCE_DIR = ONTOLOGY_DIR / "reference"


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
