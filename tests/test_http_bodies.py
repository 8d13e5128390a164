"""Request bodies are read exactly to their Content-Length or to max_body_bytes, on every server shipped.

A body shorter than its Content-Length is a 400 and changes nothing; one over the limit, declared
or chunked, is a 413 naming the limit; a chunked body under the limit arrives whole. Checked in
process (service.web.request_body, service.web.buffering_worker's framing) and with raw sockets against
``lbp-kg serve`` (Werkzeug's development server) and ``lbp-kg serve --workers 2`` (gunicorn with
deploy/gunicorn.conf.py) on 127.0.0.1.
"""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from rdflib import Graph
from rdflib.compare import to_isomorphic

from service.web.buffering_worker import RequestFraming
from service.web.errors import ApiError
from service.web.request_body import read_body
from tests.live_server import LiveServer

#: starts the development server and gunicorn (seconds)
pytestmark = pytest.mark.slow

EXTENSIONS = Path(__file__).parent / "data" / "extensions"
EXAMPLE_GRAPH = "https://w3id.org/lbp-kg/ontology/extensions/psoas-minor"
TOKEN = "body-test-token-5d1e"
LIMIT = 100_000
TRIPLE = b"<https://w3id.org/lbp-kg/id/t%d> <http://www.w3.org/2000/01/rdf-schema#label> \"t%d\" .\n"


# --- in process ---------------------------------------------------------------------------------

def _environ(body: bytes, content_length: str | None = None, chunked: bool = False) -> dict:
    environ = {"wsgi.input": io.BytesIO(body)}
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    if chunked:
        environ["wsgi.input_terminated"] = True
    return environ


def _refusal(environ: dict, limit: int = 10) -> ApiError:
    with pytest.raises(ApiError) as caught:
        read_body(environ, limit)
    return caught.value


def test_a_body_is_read_exactly_to_its_content_length():
    assert read_body(_environ(b"0123456789XYZ", "10"), 10) == b"0123456789"
    assert read_body(_environ(b"", "0"), 10) == b""


def test_a_body_shorter_than_its_content_length_is_400():
    error = _refusal(_environ(b"01234", "9"))
    assert error.status == 400 and "ended after 5 of the 9 bytes" in error.message
    assert error.details == {"received": 5, "declared": 9}


def test_a_content_length_over_the_limit_is_413_naming_the_limit():
    error = _refusal(_environ(b"", "11"))
    assert error.status == 413 and "at most 10 bytes" in error.message and error.details == {"limit": 10}


def test_a_terminated_stream_is_read_to_its_end_and_refused_one_byte_past_the_limit():
    assert read_body(_environ(b"0123456789", chunked=True), 10) == b"0123456789"
    error = _refusal(_environ(b"0123456789A", chunked=True))
    assert error.status == 413 and "at most 10 bytes" in error.message


def test_a_stream_that_breaks_off_is_400():
    class Broken(io.RawIOBase):
        def read(self, size=-1):
            raise OSError("Invalid chunk header")

    error = _refusal({"wsgi.input": Broken(), "wsgi.input_terminated": True})
    assert error.status == 400 and "Invalid chunk header" in error.message


def test_without_length_or_chunked_framing_there_is_no_body():
    assert read_body(_environ(b"ignored"), 10) == b""


def test_a_content_length_that_is_not_a_number_is_400():
    assert _refusal(_environ(b"", "-1")).status == 400


def test_the_views_read_bodies_through_it(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/sparql", data=b"ASK {}", content_type="application/sparql-query",
                           environ_overrides={"CONTENT_LENGTH": "20"})
    assert response.status_code == 400 and "ended after 6 of the 20 bytes" in response.get_json()["error"]
    form = client.post("/sparql", data={"query": "ASK {}", "pad": "x" * limit})
    assert form.status_code == 413 and str(limit) in form.get_json()["error"]


def _framing(limit: int = 100) -> RequestFraming:
    return RequestFraming(body_limit=limit, head_limit=1000)


def test_the_worker_waits_for_the_whole_head_and_body_byte_by_byte():
    request = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"
    framing = _framing()
    assert [framing.feed(request[i:i + 1]) for i in range(len(request))] == [False] * (len(request) - 1) + [True]
    assert framing.whole


def test_the_worker_waits_for_the_last_chunk_and_the_trailers():
    request = (b"POST /validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n")
    framing = _framing()
    decided = [framing.feed(request[i:i + 1]) for i in range(len(request))]
    assert decided.index(True) == len(request) - 1


def test_the_worker_hands_over_at_once_what_the_app_refuses_without_reading():
    over = _framing()
    assert over.feed(b"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n") and not over.whole  # 413, then close
    assert _framing().feed(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n")  # 101 > 100
    assert _framing().feed(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert _framing().feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # no body
    assert _framing().feed(b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 200)  # a head over the limit: 431
    assert not _framing().feed(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n")


# --- on the servers lbp-kg ships ----------------------------------------------------------------

class Server(LiveServer):
    """``lbp-kg serve`` (with ``workers``: under gunicorn) with writes on and max_body_bytes = LIMIT."""

    def __init__(self, root: Path, workers: int | None):
        self.change_log = root / "changes.jsonl"
        super().__init__(root, workers, {
            "LBP_KG_EXTENSIONS_DIR": str(root / "extensions"), "LBP_KG_CACHE_DIR": str(root.parent / "cache"),
            "LBP_KG_WRITES_ENABLED": "true", "LBP_KG_WRITE_TOKENS": json.dumps({TOKEN: "body test"}),
            "LBP_KG_CHANGE_LOG": str(self.change_log), "LBP_KG_MAX_BODY_BYTES": str(LIMIT)})

    def graph(self) -> Graph:
        """The served extension graph, compared by isomorphism (its blank nodes are named afresh per answer)."""
        response = requests.get(f"{self.url}/graph-store?graph={quote(EXAMPLE_GRAPH, safe='')}",
                                headers={"Accept": "application/n-triples"}, timeout=10)
        assert response.status_code == 200
        return to_isomorphic(Graph().parse(data=response.text, format="nt"))


@pytest.fixture(scope="module", params=[None, 2], ids=["development-server", "gunicorn"])
def server(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("bodies")
    (root / "extensions").mkdir()
    shutil.copy(EXTENSIONS / "psoas-minor.ttl", root / "extensions" / "psoas-minor.ttl")
    running = Server(root, request.param)
    yield running
    running.stop()


def _graph_store_head(method: str, length: int | None, content_type: str = "application/n-triples") -> str:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (f"{method} /graph-store?graph={quote(EXAMPLE_GRAPH, safe='')} HTTP/1.1\nHost: test\n"
            f"Authorization: Bearer {TOKEN}\nX-Change-Reason: body test\nContent-Type: {content_type}\n"
            f"{framing}\n")


def _chunked(body: bytes, size: int = 8192) -> bytes:
    pieces = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def test_a_put_shorter_than_its_content_length_is_400_and_leaves_the_graph(server):
    before = server.graph()
    body = b"".join(TRIPLE % (i, i) for i in range(20))
    status, answer = server.exchange(_graph_store_head("PUT", len(body) + 40), body)
    assert status == 400, answer
    assert f"ended after {len(body)} of the {len(body) + 40} bytes" in answer["error"]
    assert server.graph() == before
    assert not server.change_log.exists() or server.change_log.read_text() == ""


def test_a_validate_body_shorter_than_its_content_length_is_400(server):
    status, answer = server.exchange("POST /validate HTTP/1.1\nHost: test\nContent-Type: application/n-triples\n"
                                     "Content-Length: 1000\n", TRIPLE % (1, 1))
    assert status == 400 and answer["declared"] == 1000, answer


def test_a_content_length_over_the_limit_is_413_naming_it_before_the_body_is_sent(server):
    status, answer = server.exchange(_graph_store_head("PUT", LIMIT + 1), half_close=False)
    assert status == 413 and answer["limit"] == LIMIT and f"at most {LIMIT} bytes" in answer["error"]


def test_a_chunked_body_over_the_limit_is_413_never_cut(server):
    body = b"".join(TRIPLE % (i, i) for i in range(LIMIT // 60 + 500))
    assert len(body) > LIMIT
    status, answer = server.exchange("POST /validate HTTP/1.1\nHost: test\nContent-Type: application/n-triples\n"
                                     "Transfer-Encoding: chunked\nConnection: close\n", _chunked(body),
                                     half_close=False)
    assert status == 413 and answer["limit"] == LIMIT, answer
    before = server.graph()
    status, answer = server.exchange(_graph_store_head("PUT", None) + "Connection: close\n", _chunked(body),
                                     half_close=False)
    assert status == 413 and server.graph() == before


def test_a_chunked_body_under_the_limit_arrives_whole(server):
    # if the body were cut anywhere, the query would be a bare comment (400) instead of the SELECT
    query = b"#" + b"p" * (LIMIT - 100) + b'\nSELECT ("whole" AS ?x) {}'
    status, answer = server.exchange("POST /sparql HTTP/1.1\nHost: test\nContent-Type: application/sparql-query\n"
                                     "Accept: application/sparql-results+json\nTransfer-Encoding: chunked\n"
                                     "Connection: close\n", _chunked(query, 1000), half_close=False)
    assert status == 200 and answer["results"]["bindings"] == [{"x": {"type": "literal", "value": "whole"}}]


def test_a_chunked_body_that_breaks_off_is_400(server):
    status, answer = server.exchange("POST /validate HTTP/1.1\nHost: test\nContent-Type: application/n-triples\n"
                                     "Transfer-Encoding: chunked\n", b"400\r\n" + TRIPLE % (1, 1))
    assert status == 400, answer
