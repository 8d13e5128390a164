"""Several instances over one engine: two ``lbp-kg serve --workers 2`` with backend=remote answer alike.

Each instance has its own cache folder, so nothing is shared but the ontology files and the
engine: they compute the same graph version themselves and must give the same bytes and the
same ETags for the same requests, and honour each other's ETags, so that any load balancer can
send a client to either (docs/deployment.md). Run over both engines the remote backend is
tested against.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.engines import free_port, stop

#: starts engines and two lbp-kg instances over each (seconds)
pytestmark = pytest.mark.slow

LBP_KG = str(Path(sys.executable).parent / "lbp-kg")
START_SECONDS = 90

#: requests whose answers come from the engine (queries, pages) or from the instance (catalogue)
REQUESTS = [
    ("/sparql?query=SELECT%20%3Fl%20WHERE%20%7B%20%3Chttps%3A%2F%2Fw3id.org%2Flbp-kg%2Fid%2Fpsoas-major%3E"
     "%20%3Chttp%3A%2F%2Fwww.w3.org%2F2000%2F01%2Frdf-schema%23label%3E%20%3Fl%20%7D", "text/csv"),
    ("/queries/actions?muscle=gluteus%20medius", "application/sparql-results+json"),
    ("/queries/compensators?muscle=gluteus%20medius", "application/sparql-results+json"),
    ("/queries/muscles-by-nerve?nerve=lumbar%20plexus", "text/csv"),
    ("/id/gluteus-medius", "text/turtle"),
    ("/queries", "application/json"),
]


def _start(endpoint: str, cache_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "LBP_KG_BACKEND": "remote", "LBP_KG_REMOTE_ENDPOINT": endpoint,
           "LBP_KG_CACHE_DIR": str(cache_dir), "LBP_KG_QUERY_TIMEOUT": "10"}
    with open(cache_dir.parent / f"{cache_dir.name}.log", "wb") as log:
        process = subprocess.Popen([LBP_KG, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            urllib.request.urlopen(f"{base}/health", timeout=2).close()
            return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                pytest.fail(f"lbp-kg serve did not start: {(cache_dir.parent / f'{cache_dir.name}.log').read_text()[-2000:]}")
            time.sleep(0.2)


def _get(url: str, accept: str, **headers) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, headers={"Accept": accept, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


@pytest.fixture(scope="module", params=["oxigraph_server", "virtuoso"])
def instances(request, tmp_path_factory):
    endpoint = request.getfixturevalue(request.param)
    root = tmp_path_factory.mktemp(f"instances-{request.param}")
    started = [_start(endpoint, root / name) for name in ("first", "second")]
    yield [base for _, base in started]
    for process, _ in started:
        stop(process)


@pytest.mark.parametrize("path, accept", REQUESTS, ids=[path.split("?")[0] for path, _ in REQUESTS])
def test_two_instances_give_the_same_answer_and_etag(instances, path, accept):
    first, second = (_get(base + path, accept) for base in instances)
    assert first[0] == second[0] == 200
    assert first[1] == second[1] and first[1]
    assert first[2].get("ETag") == second[2].get("ETag")
    assert first[2].get("ETag") or path == "/queries"  # the catalogue is not revalidated


@pytest.mark.parametrize("path, accept", REQUESTS[:3], ids=[path.split("?")[0] for path, _ in REQUESTS[:3]])
def test_an_etag_from_one_instance_revalidates_at_the_other(instances, path, accept):
    etag = _get(instances[0] + path, accept)[2]["ETag"]
    status, body, _ = _get(instances[1] + path, accept, **{"If-None-Match": etag})
    assert (status, body) == (304, b"")


def test_evaluated_answers_agree_too(instances):
    """Cache-Control: no-cache makes each instance ask the engine again: still the same bytes."""
    path, accept = REQUESTS[2]
    answers = {_get(base + path, accept, **{"Cache-Control": "no-cache"})[1] for base in instances}
    assert len(answers) == 1 and answers != {b""}
