"""``lbp-kg serve --workers 2`` keeps answering while slow clients hold connections open.

The production server's worker (service.web.buffering_worker) reads requests whole in its event loop,
so 50 clients sending a byte a second hold no thread: normal requests are answered within 1 s
(plain gthread answered 1 of 14, see docs/security-http.md). A request that does not arrive whole
within the read timeout gets a 408; keep-alive, pipelining and trickled bodies still work.
"""
from __future__ import annotations

import http.client
import json
import socket
import time

import pytest
import requests

from bench.slow_clients import measure
from tests.live_server import LiveServer

#: each test waits out read timeouts on a live server (seconds each)
pytestmark = pytest.mark.slow

TRIPLE = b'<https://w3id.org/lbp-kg/id/slow> <http://www.w3.org/2000/01/rdf-schema#label> "slow" .\n'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("slow-clients")
    running = LiveServer(root, 2)
    yield running
    running.stop()


def test_fifty_slow_clients_leave_normal_requests_answered_within_a_second(server):
    figures = measure(server.url, slow_heads=25, slow_bodies=25, normal=14, spacing=0.2, within=1.0, settle=1.5,
                      timeout=5.0)
    assert figures["slow_still_open"] == 50, figures  # the slow clients were still there throughout
    assert figures["answered_within"] == 14, figures


def _answer(sock: socket.socket) -> http.client.HTTPResponse:
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    return answer


def _statuses(stream, count: int) -> list[int]:
    """Read ``count`` answers (each with a Content-Length) from one buffered stream; return their statuses."""
    statuses = []
    for _ in range(count):
        statuses.append(int(stream.readline().split()[1]))
        length = 0
        while (line := stream.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        stream.read(length)
    return statuses


def test_a_request_not_arrived_whole_within_the_read_timeout_is_408(tmp_path):
    impatient = LiveServer(tmp_path, 2, {"LBP_KG_REQUEST_READ_TIMEOUT": "2"})
    try:
        with impatient.connect(timeout=15) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\nX-Slow: ")
            answer = _answer(sock)
            waited = time.monotonic() - started
            assert answer.status == 408 and "2 seconds" in json.loads(answer.read())["error"]
            assert 2 <= waited <= 5
            assert sock.recv(10) == b""  # and the connection is closed
    finally:
        impatient.stop()


def test_a_stopping_server_does_not_wait_for_slow_clients(tmp_path):
    stopping = LiveServer(tmp_path, 2)
    idle = [stopping.connect() for _ in range(4)]
    partial = stopping.connect(timeout=15)
    partial.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n")
    time.sleep(0.5)  # both workers have them in their event loops
    started = time.monotonic()
    stopping.stop()  # SIGTERM: gunicorn's graceful stop
    assert time.monotonic() - started < 10  # not the 30 s read timeout, nor the 30 s graceful timeout
    answer = _answer(partial)
    assert answer.status == 503 and "restarting" in json.loads(answer.read())["error"]
    for sock in idle + [partial]:
        sock.close()


def test_a_body_declared_over_the_limit_is_refused_and_its_connection_closed_at_once(server):
    with server.connect(timeout=10) as sock:
        sock.sendall(b"POST /validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/n-triples\r\n"
                     b"Content-Length: %d\r\n\r\n" % (3 * 1024 * 1024) + TRIPLE)
        answer = _answer(sock)
        assert answer.status == 413 and answer.read()
        started = time.monotonic()
        sock.sendall(TRIPLE)  # a slow client trickling the rest: no thread waits for it
        assert sock.recv(10) == b"" and time.monotonic() - started < 2.5


def test_a_body_trickled_in_pieces_is_served_whole(server):
    body = TRIPLE * 3
    with server.connect() as sock:
        sock.sendall(b"POST /validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/n-triples\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        for start in range(0, len(body), len(body) // 4):
            time.sleep(0.3)
            sock.sendall(body[start:start + len(body) // 4])
        answer = _answer(sock)
        assert answer.status == 200 and json.loads(answer.read())["submittedTriples"] == 1


def test_a_client_expecting_100_continue_is_told_to_send_its_body_at_once(server):
    with server.connect(timeout=0.9) as sock, sock.makefile("rb") as stream:  # curl waits 1 s for it
        sock.sendall(b"POST /validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/n-triples\r\n"
                     b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(TRIPLE))
        assert stream.readline() == b"HTTP/1.1 100 Continue\r\n" and stream.readline() == b"\r\n"
        sock.settimeout(30)
        sock.sendall(TRIPLE)
        assert _statuses(stream, 1) == [200]  # the answer, with no second "100 Continue" before it


def test_keep_alive_and_pipelined_requests_are_answered_in_order(server):
    with requests.Session() as session:
        assert [session.get(server.url + "/health", timeout=5).status_code for _ in range(3)] == [200] * 3
    pipelined = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: test\r\n\r\nGET /hea"
    with server.connect() as sock, sock.makefile("rb") as stream:
        sock.sendall(pipelined)
        assert _statuses(stream, 2) == [200, 404]
        time.sleep(0.3)
        sock.sendall(b"lth HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        assert _statuses(stream, 1) == [200]
