"""The wheel runs anywhere: built with ``python -m build``, installed into a fresh virtual environment
outside the checkout, its ``lbp-kg`` validates, checks, releases and serves the bundled ontology,
and the pages load their browser libraries from the wheel (issue 15).

The wheel is built once per run (sdist first, then the wheel from the sdist, as ``python -m build``
does, so MANIFEST.in is tested too) and installed with pip into a virtual environment in a
temporary folder; every command then runs with that folder as its working directory and its own
HOME, so nothing of the checkout can be found by accident (the first test proves it).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import requests

from service.paths import PROJECT_ROOT
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

EXTENSION = Path(__file__).parent / "data" / "extensions" / "psoas-minor.ttl"


def _run(command: list, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{command} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the wheel, install it in a fresh venv outside the checkout; return (venv bin, cwd, env)."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    _run([sys.executable, "-m", "build", "--outdir", dist, PROJECT_ROOT], cwd=root, env=dict(os.environ))
    wheels = list(dist.glob("lbp_kg-*.whl"))
    assert len(wheels) == 1, wheels
    venv.create(root / "venv", with_pip=True)
    bin_dir = root / "venv" / "bin"
    home, work = root / "home", root / "work"
    home.mkdir()
    work.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME") and not key.startswith(("XDG_", "LBP_KG_"))}
    env.update(HOME=str(home), PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    # pip keeps its usual cache (the test's HOME is empty), so dependencies installed once are not fetched again
    pip_env = {**env, "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))}
    _run([bin_dir / "pip", "install", "--quiet", "--disable-pip-version-check", wheels[0]], cwd=work, env=pip_env)
    return {"bin": bin_dir, "cwd": work, "env": env, "home": home, "wheel": wheels[0]}


def test_the_wheel_holds_only_lbp_kg_and_its_data(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    assert {name.split("/")[0] for name in names} == {"service", installed["wheel"].name.split("-py3")[0] + ".dist-info"}
    bundled = {name.removeprefix("service/bundled/") for name in names if name.startswith("service/bundled/")}
    for path in ("ontology/lbp.ttl", "ontology/catalog-v001.xml", "ontology/context.jsonld",
                 "ontology/shapes/lbp-shapes.ttl", "ontology/modules/core.ttl", "queries/compensators.rq",
                 "queries/internal/labels.rq", "queries/qc/duplicate-label-violation.rq", "deploy/gunicorn.conf.py",
                 "node_modules/cytoscape/dist/cytoscape.min.js", "node_modules/@zazuko/yasgui/build/yasgui.min.js"):
        assert path in bundled, path
    assert not any(name.startswith("service/bundled/node_modules/.bin") for name in names)


def test_the_installed_package_reads_its_own_bundle_not_the_checkout(installed):
    where = _run([installed["bin"] / "python", "-c",
                  "import service.paths as p; print(p.IN_CHECKOUT, p.ONTOLOGY_HEADER, p.CACHE_DIR, sep='\\n')"],
                 cwd=installed["cwd"], env=installed["env"]).stdout.split("\n")
    assert where[0] == "False"
    assert Path(where[1]).is_relative_to(installed["bin"].parent), where[1]
    assert Path(where[2]).is_relative_to(installed["home"]), where[2]  # state goes to the user's folders


def test_lbp_kg_validate_from_the_wheel_conforms(installed):
    result = _run([installed["bin"] / "lbp-kg", "validate"], cwd=installed["cwd"], env=installed["env"])
    assert "conforms" in result.stdout


def test_lbp_kg_check_from_the_wheel_gates_an_extension(installed):
    result = _run([installed["bin"] / "lbp-kg", "check", EXTENSION], cwd=installed["cwd"], env=installed["env"])
    assert "psoas-minor.ttl" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def server(installed):
    # a release first, into the user's data folder, so the server has a version to serve
    released = _run([installed["bin"] / "lbp-kg", "release"], cwd=installed["cwd"], env=installed["env"])
    assert "Released lbp-kg" in released.stdout
    live = LiveServer(installed["cwd"], workers=None, env=installed["env"], program=installed["bin"] / "lbp-kg",
                      cwd=installed["cwd"])
    yield live
    live.stop()


def test_the_served_wheel_answers_health_a_named_query_and_a_release(server, client):
    health = requests.get(server.url + "/health", timeout=30).json()
    assert health["status"] == "ok" and health["ontologyVersion"]
    answer = requests.get(server.url + "/queries/compensators", params={"muscle": "gluteus medius"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert answer.status_code == 200, answer.text
    rows = answer.json()["results"]["bindings"]
    assert rows, "gluteus medius has compensators in the bundled graph"
    # the same answer as the checkout's own service gives (the bundled files are the checkout's)
    assert rows == client.get("/queries/compensators?muscle=gluteus medius").get_json()["results"]["bindings"]
    owl = requests.get(f"{server.url}/ontology/{health['ontologyVersion']}/lbp-kg.owl", timeout=30)
    assert owl.status_code == 200
    assert f"https://w3id.org/lbp-kg/ontology/{health['ontologyVersion']}".encode() in owl.content  # its version IRI


@pytest.mark.parametrize("page", ["/id/gluteus-medius", "/graph", "/sparql", "/"])
def test_every_script_and_stylesheet_a_page_of_the_wheel_references_loads(server, page):
    html = requests.get(server.url + page, headers={"Accept": "text/html"}, timeout=60)
    assert html.status_code == 200
    references = set(re.findall(r'(?:src|href)="(/(?:static|assets)/[^"]+)"', html.text))
    assert references, f"{page} references no script or stylesheet"
    for reference in sorted(references):
        response = requests.get(server.url + reference, timeout=30)
        assert response.status_code == 200, (page, reference, response.text[:300])
        assert len(response.content) > 100, reference
    if page == "/graph":  # the libraries the picture is drawn with
        assert {"/assets/cytoscape.min.js", "/assets/cytoscape-dagre.min.js"} <= references
