"""docs/extending.md works as written: the listing is the example file, the example passes the gate,
and once installed the service answers about its muscle and lists the module with its version."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from service import create_app
from service.cli import main
from service.paths import PROJECT_ROOT

#: the guide's steps run the gate and a server (seconds)
pytestmark = pytest.mark.slow

GUIDE = PROJECT_ROOT / "docs" / "extending.md"
EXAMPLE = PROJECT_ROOT / "tests" / "data" / "extensions" / "psoas-minor.ttl"
EXAMPLE_IRI = "https://w3id.org/lbp-kg/ontology/extensions/psoas-minor"
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime")


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """An extensions directory holding the example, as step 4 of the guide installs it."""
    directory = tmp_path_factory.mktemp("extensions")
    shutil.copy(EXAMPLE, directory / EXAMPLE.name)
    return directory


@pytest.fixture(scope="module")
def client(installed):
    app = create_app({"extensions_dir": str(installed), "query_timeout": 5.0})
    app.config["TESTING"] = True
    return app.test_client()


def test_step_2_the_guide_lists_the_example_file_exactly():
    [listing] = fenced_blocks("turtle")
    assert listing == EXAMPLE.read_text(encoding="utf-8")


def test_step_3_the_command_in_the_guide_checks_the_example():
    assert "$ lbp-kg check tests/data/extensions/psoas-minor.ttl" in fenced_blocks("console")[0]


@needs_java
def test_step_3_the_example_passes_the_gate_with_the_output_the_guide_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)  # the guide's command runs from the checkout
    result = CliRunner().invoke(main, ["check", "--extensions", str(tmp_path), "tests/data/extensions/psoas-minor.ttl"])
    assert result.exit_code == 0, result.stdout
    shown = fenced_blocks("text")[0]
    timing = re.compile(r"\(\d+\.\d s\)|HermiT took \d+\.\d s\.")
    actual = timing.sub("", result.stdout)
    for line in shown.splitlines():
        if line.strip().startswith("...") or "HermiT took" in line:
            continue
        assert timing.sub("", line) in actual, line


def test_step_3_every_broken_example_the_guide_names_exists():
    guide = GUIDE.read_text(encoding="utf-8")
    broken = sorted(p.name for p in (EXAMPLE.parent / "broken").glob("*.ttl"))
    assert len(broken) == 7
    assert "tests/data/extensions/broken/muscle-without-insertion.ttl" in guide


def test_step_4_the_installed_muscle_is_answered_by_the_attachments_query(client):
    response = client.get("/queries/attachments?muscle=psoas%20minor",
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    rows = response.get_json()["results"]["bindings"]
    attachments = {(row["kind"]["value"], row["siteLabel"]["value"]) for row in rows}
    assert attachments == {("origin", "vertebral bodies T12 and L1"),
                           ("insertion", "pubic attachment of psoas minor")}
    assert {row["memberLabel"]["value"] for row in rows} == {"psoas minor"}


def test_step_4_health_lists_the_extension_module_with_its_version(client):
    modules = client.get("/health").get_json()["modules"]
    [module] = [m for m in modules if m["extension"]]
    assert module == {"iri": EXAMPLE_IRI, "version": "0.1.0", "file": "psoas-minor.ttl", "extension": True}
