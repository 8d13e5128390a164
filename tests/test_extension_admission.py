"""Extensions are gated at load: a file the gate rejects is not served unless the override says so."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from service.curation import admission

#: each test starts servers that judge an extension with the gate (seconds each)
pytestmark = pytest.mark.slow

GOOD = Path(__file__).parent / "data" / "extensions" / "psoas-minor.ttl"
#: a well-formed extension the gate rejects: a new muscle with no label, definition or source
REJECTED = """@prefix lbp: <https://w3id.org/lbp-kg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://w3id.org/lbp-kg/ontology/extensions/bad-muscle> a owl:Ontology .
lbp:bad-muscle a owl:NamedIndividual , lbp:Muscle .
"""
BAD_IRI = "https://w3id.org/lbp-kg/id/bad-muscle"


@pytest.fixture(scope="module")
def gate_cache(tmp_path_factory):
    """One verdict cache for the module: the gate runs once per file content, as in production."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture()
def extensions(tmp_path):
    directory = tmp_path / "extensions"
    directory.mkdir()
    shutil.copy(GOOD, directory / GOOD.name)
    (directory / "bad-muscle.ttl").write_text(REJECTED)
    return directory


def test_a_file_that_fails_the_gate_is_not_served_and_health_says_why(make_app, extensions, gate_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="service.curation.admission"):
        app = make_app(extensions_dir=str(extensions), cache_dir=str(gate_cache))
    client = app.test_client()
    health = client.get("/health").get_json()
    assert health["status"] == "degraded"
    verdicts = {v["file"]: v for v in health["extensions"]}
    assert verdicts["psoas-minor.ttl"] == {"file": "psoas-minor.ttl", "passed": True, "served": True, "reasons": [],
                                          "judged": True}
    bad = verdicts["bad-muscle.ttl"]
    assert bad["passed"] is False and bad["served"] is False and bad["reasons"]
    assert [m["file"] for m in health["modules"] if m["extension"]] == ["psoas-minor.ttl"]
    assert client.get("/id/bad-muscle").status_code == 404
    assert client.get("/id/psoas-minor").status_code == 200
    assert any("bad-muscle.ttl fails the gate and is NOT served" in r.getMessage() for r in caplog.records)


def test_the_override_serves_a_failing_file_and_still_says_so(make_app, extensions, gate_cache):
    app = make_app(extensions_dir=str(extensions), cache_dir=str(gate_cache), serve_failed_extensions=True)
    client = app.test_client()
    health = client.get("/health").get_json()
    assert health["status"] == "degraded"
    bad = {v["file"]: v for v in health["extensions"]}["bad-muscle.ttl"]
    assert bad["passed"] is False and bad["served"] is True
    assert client.get("/id/bad-muscle").status_code == 200


def test_a_verdict_is_kept_by_content_so_a_restart_does_not_run_the_gate(extensions, gate_cache, monkeypatch):
    admission.admit_extensions(extensions, gate_cache)  # judged (or already judged above)

    def no_gate(*args):
        raise AssertionError("the gate ran again for an unchanged file")

    monkeypatch.setattr(admission, "_judge", no_gate)
    admitted, verdicts = admission.admit_extensions(extensions, gate_cache)
    assert [p.name for p in admitted] == ["psoas-minor.ttl"]
    # an edited file is judged afresh
    (extensions / "bad-muscle.ttl").write_text(REJECTED + "\n# edited\n")
    with pytest.raises(AssertionError, match="ran again"):
        admission.admit_extensions(extensions, gate_cache)


def test_an_installation_whose_extensions_all_pass_is_ok(client):
    health = client.get("/health").get_json()
    assert health["status"] == "ok" and all(v["passed"] for v in health["extensions"])


def test_processes_starting_together_judge_a_new_file_once(extensions, tmp_path, monkeypatch):
    """gunicorn's workers start at once: the second waits for the first's verdict instead of judging."""
    import multiprocessing

    cache = tmp_path / "shared-cache"
    runs = tmp_path / "gate-runs"
    runs.mkdir()
    real_judge = admission._judge

    def counting_judge(path, directory):
        (runs / f"{path.name}.{multiprocessing.current_process().pid}").touch()
        return real_judge(path, directory)

    monkeypatch.setattr(admission, "_judge", counting_judge)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=admission.admit_extensions, args=(extensions, cache)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0
    judged = sorted(p.name.rsplit(".", 1)[0] for p in runs.iterdir())
    assert judged == ["bad-muscle.ttl", "psoas-minor.ttl"], "each file is judged by one process only"


def test_with_the_gate_off_at_load_every_file_is_served_unjudged_and_health_says_so(make_app, extensions, caplog):
    with caplog.at_level(logging.WARNING, logger="service.curation.admission"):
        app = make_app(extensions_dir=str(extensions), gate_extensions_at_load=False)
    client = app.test_client()
    health = client.get("/health").get_json()
    assert {v["file"]: v["judged"] for v in health["extensions"]} == {"bad-muscle.ttl": False, "psoas-minor.ttl": False}
    assert client.get("/id/bad-muscle").status_code == 200
    assert any("served without being judged" in r.getMessage() for r in caplog.records)
