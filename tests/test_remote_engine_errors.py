"""Errors from the engine behind the remote backend stay clean JSON answers naming the engine.

A fake engine on loopback stands in front of the session's Oxigraph server: it passes requests
through, or answers 500, or says nothing for longer than the query timeout, or is shut down. The
service must answer each with a JSON 502 or 503 naming the engine's URL and what to do, never a
traceback, and keep answering the requests that do not need the engine, and those that do once
the engine is back.
"""
from __future__ import annotations

import http.server
import threading
import time
import urllib.request

import pytest

from service import create_app

SLOW_SECONDS = 3


class _FakeEngine(http.server.BaseHTTPRequestHandler):
    """Forward to the real engine, or fail the way ``server.mode`` says."""

    def do_POST(self):  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        mode = self.server.mode
        if mode == "slow":
            time.sleep(SLOW_SECONDS)
        if mode == "fail":
            return self._send(500, b"engine exploded", "text/plain")
        request = urllib.request.Request(self.server.upstream, data=body, headers={
            "Content-Type": self.headers["Content-Type"], "Accept": self.headers["Accept"]})
        with urllib.request.urlopen(request, timeout=10) as answer:
            self._send(answer.status, answer.read(), answer.headers["Content-Type"])

    def _send(self, status: int, body: bytes, media_type: str):
        try:
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the service stopped waiting (the slow case)

    def log_message(self, *args):
        pass


class FakeEngine:
    def __init__(self, upstream: str):
        self.upstream, self.port, self.server = upstream, 0, None
        self.start()

    def start(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), _FakeEngine)
        self.server.daemon_threads = True
        self.server.upstream, self.server.mode = self.upstream, "pass"
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"


@pytest.fixture(scope="module")
def engine(oxigraph_server):
    fake = FakeEngine(oxigraph_server)
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def client(engine, tmp_path_factory):
    app = create_app({"backend": "remote", "remote_endpoint": engine.endpoint, "query_timeout": 1.0,
                      "cache_dir": str(tmp_path_factory.mktemp("remote-errors-cache"))})
    app.config["TESTING"] = True
    return app.test_client()


@pytest.fixture(autouse=True)
def passing(engine):
    engine.server.mode = "pass"
    yield
    engine.server.mode = "pass"


FRESH = {"Cache-Control": "no-cache"}
QUERY = "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
NAMED = "/queries/compensators?muscle=gluteus%20medius"
PAGE = "/id/gluteus-medius"
#: what each path is asked for: the entity page as Turtle (its description is queried from the engine)
ACCEPT = {QUERY: "application/json", NAMED: "application/json", PAGE: "text/turtle"}


def _check_clean(response, status: int, engine: FakeEngine, *words: str):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    message = response.get_json()["error"]
    assert engine.endpoint in message and "Traceback" not in message
    for word in words:
        assert word in message


def _answered(client):
    assert client.get("/health").status_code == 200
    assert client.get(QUERY, headers=FRESH).get_json() == {"head": {}, "boolean": True}
    assert client.get(NAMED, headers=FRESH).status_code == 200


@pytest.mark.parametrize("path", [QUERY, NAMED, PAGE])
def test_an_engine_answering_500_is_a_502_naming_it(client, engine, path):
    engine.server.mode = "fail"
    response = client.get(path, headers={**FRESH, "Accept": ACCEPT[path]})
    _check_clean(response, 502, engine, "failed with 500: engine exploded", "log")
    engine.server.mode = "pass"
    _answered(client)


@pytest.mark.parametrize("path", [QUERY, NAMED])
def test_a_slow_engine_is_a_503_naming_it_after_the_query_timeout(client, engine, path):
    engine.server.mode = "slow"
    started = time.monotonic()
    response = client.get(path, headers=FRESH)
    assert time.monotonic() - started < SLOW_SECONDS
    _check_clean(response, 503, engine, "sent nothing for 1 s", "query_timeout")
    assert response.headers["Retry-After"]
    engine.server.mode = "pass"
    _answered(client)


def test_an_engine_that_is_down_is_a_503_and_its_return_is_noticed(client, engine):
    engine.stop()
    try:
        for path in (QUERY, NAMED, PAGE):
            response = client.get(path, headers={**FRESH, "Accept": ACCEPT[path]})
            _check_clean(response, 503, engine, "cannot reach", "check that the engine is running")
        assert client.get("/health").status_code == 200
        assert client.get("/queries").status_code == 200  # the catalogue needs no engine
    finally:
        engine.start()
    _answered(client)


def test_a_direct_call_to_the_engine_is_what_the_fake_forwards(engine, oxigraph_server):
    """The fake engine is a faithful proxy when passing: the failures above are its doing."""
    request = urllib.request.Request(engine.endpoint, data=b"query=ASK%7B%7D", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200 and b"true" in answer.read()
