"""A write survives ``kill -9`` right after its answer, and a kill during a write leaves old or new, never half.

Each test runs the real server (``lbp-kg serve`` on 127.0.0.1) over a temporary extensions
directory, kills it with SIGKILL, starts it again on the same directory and looks at what is on
disk and what is served.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from rdflib import Graph

from service.curation.admission import admit_extensions

EXTENSIONS = Path(__file__).parent / "data" / "extensions"
EXAMPLE = EXTENSIONS / "psoas-minor.ttl"
EXAMPLE_GRAPH = "https://w3id.org/lbp-kg/ontology/extensions/psoas-minor"
TOKEN = "durability-token-81c2"
LBP_KG = Path(sys.executable).parent / "lbp-kg"
SYNONYM = "small psoas"
#: adds one synonym to the installed example extension
ADD_SYNONYM = ('INSERT DATA { <https://w3id.org/lbp-kg/id/psoas-minor> '
               f'<http://www.geneontology.org/formats/oboInOwl#hasRelatedSynonym> "{SYNONYM}"@en }}')

pytestmark = [pytest.mark.skipif(shutil.which("java") is None or not LBP_KG.exists(),
                                 reason="needs Java for the gate and the lbp-kg command"),
              pytest.mark.slow]  # servers killed and restarted, writes gated (seconds each)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One ``lbp-kg serve`` process with writes on, over ``root/extensions``."""

    def __init__(self, root: Path, pause: dict | None = None):
        self.root = root
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LBP_KG_EXTENSIONS_DIR": str(root / "extensions"),
               "LBP_KG_CACHE_DIR": str(root / "cache"), "LBP_KG_WRITES_ENABLED": "true",
               "LBP_KG_WRITE_TOKENS": json.dumps({TOKEN: "durability test"}),
               "LBP_KG_EXTRA": json.dumps({"test_write_pause": pause} if pause else {})}
        self.log = open(root / "server.log", "ab")
        self.process = subprocess.Popen([str(LBP_KG), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (root / "server.log").read_text()[-3000:]
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.kill()
        raise AssertionError("the server did not answer /health within 60 s")

    def update(self, text: str, timeout: float = 120) -> requests.Response:
        return requests.post(f"{self.url}/update?graph={quote(EXAMPLE_GRAPH, safe='')}", data=text.encode(),
                             headers={"Authorization": f"Bearer {TOKEN}", "X-Change-Reason": "durability test",
                                      "Content-Type": "application/sparql-update"}, timeout=timeout)

    def graph_text(self) -> str:
        response = requests.get(f"{self.url}/graph-store?graph={quote(EXAMPLE_GRAPH, safe='')}",
                                headers={"Accept": "application/n-triples"}, timeout=10)
        assert response.status_code == 200
        return response.text

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed by the process."""
        self.process.kill()
        self.process.wait(10)
        self.log.close()


def _install_example(root: Path) -> Path:
    (root / "extensions").mkdir()
    shutil.copy(EXAMPLE, root / "extensions" / "psoas-minor.ttl")
    return root


@pytest.fixture(scope="session")
def example_verdict(tmp_path_factory) -> Path:
    """The gate's verdict on the example, judged once: the servers below start without judging it again."""
    judged = _install_example(tmp_path_factory.mktemp("judged"))
    admitted, verdicts = admit_extensions(judged / "extensions", judged / "cache")
    assert admitted, f"the example must pass the gate: {verdicts}"
    return judged / "cache" / "gate"


@pytest.fixture
def root(tmp_path, example_verdict) -> Path:
    """A directory with the worked example installed as the only extension (its verdict cached)."""
    shutil.copytree(example_verdict, tmp_path / "cache" / "gate")
    return _install_example(tmp_path)


def _log_lines(root: Path) -> list[dict]:
    """Every line of the change log, each of which must be a whole JSON entry."""
    path = root / "changes.jsonl"
    lines = path.read_bytes().split(b"\n") if path.exists() else []
    assert not lines or lines[-1] == b"", "the change log ends in a torn line"
    return [json.loads(line) for line in lines if line]


def _assert_old_or_new(root: Path, old: bytes) -> bool:
    """Check the file is the old or the new content, parses, and the log agrees; return True if new."""
    path = root / "extensions" / "psoas-minor.ttl"
    content = path.read_bytes()
    graph = Graph().parse(data=content.decode("utf-8"), format="turtle")
    is_new = content != old
    if is_new:
        assert any(str(o) == SYNONYM for o in graph.objects()), "the file changed, but not into the new content"
    entries = _log_lines(root)
    assert len(entries) == (1 if is_new else 0)
    if is_new:
        assert entries[0]["who"] == "durability test" and entries[0]["why"] == "durability test"
    leftovers = [p.name for p in (root / "extensions").iterdir() if p.name.endswith((".tmp", "intent.json"))]
    assert leftovers == []
    return is_new


def test_an_accepted_write_survives_kill_9_right_after_the_response(root):
    server = Server(root)
    try:
        response = server.update(ADD_SYNONYM)
    finally:
        server.kill()
    assert response.status_code == 200, response.text
    server = Server(root)
    try:
        assert SYNONYM in server.graph_text()
    finally:
        server.kill()
    [entry] = _log_lines(root)
    assert entry["id"] == response.json()["change"]


@pytest.mark.parametrize("step, expect_new", [
    ("after-gate", False),      # checked, not yet written
    ("before-commit", False),   # new file written and fsynced beside the old one, not yet renamed
    ("after-commit", True),     # renamed into place, not yet in the change log
    ("after-log", True),        # logged, the intent not yet cleared
])
def test_a_server_killed_during_a_write_keeps_the_old_or_the_new_graph_and_a_whole_change_log(root, step, expect_new):
    old = (root / "extensions" / "psoas-minor.ttl").read_bytes()
    signal = root / "paused"
    server = Server(root, pause={"step": step, "seconds": 60, "signal_file": str(signal)})
    writer = threading.Thread(target=lambda: _ignore_disconnect(server, ADD_SYNONYM), daemon=True)
    writer.start()
    try:
        deadline = time.monotonic() + 90
        while not signal.exists():
            assert time.monotonic() < deadline, "the write never reached " + step
            time.sleep(0.05)
    finally:
        server.kill()
    writer.join(10)
    server = Server(root)  # the restart finishes or drops the interrupted write
    try:
        assert _assert_old_or_new(root, old) is expect_new
        assert (SYNONYM in server.graph_text()) is expect_new
    finally:
        server.kill()


def test_servers_killed_at_random_moments_of_a_write_keep_old_or_new(root):
    old = (root / "extensions" / "psoas-minor.ttl").read_bytes()
    chance = random.Random(20261125)
    for _ in range(2):  # bounded: each round is a start, a gated write and a kill
        server = Server(root)  # the start finishes or drops what the last kill interrupted
        if _assert_old_or_new(root, old):
            server.kill()
            return  # the write landed; another round would change nothing
        writer = threading.Thread(target=lambda: _ignore_disconnect(server, ADD_SYNONYM), daemon=True)
        writer.start()
        time.sleep(chance.uniform(0.5, 7.0))  # the gate takes about 5 s: most kills land inside the write
        server.kill()
        writer.join(10)
    server = Server(root)
    try:
        _assert_old_or_new(root, old)
    finally:
        server.kill()


def _ignore_disconnect(server: Server, text: str) -> None:
    try:
        server.update(text)
    except requests.ConnectionError:
        pass  # the server was killed mid-request, as intended
