"""Measure how a server answers normal requests while slow clients hold connections open.

    .venv/bin/python -m bench.slow_clients --url http://127.0.0.1:5000 [--slow-heads 25] [--slow-bodies 25]

Opens ``--slow-heads`` connections that send a request head one byte a second, never finishing it,
and ``--slow-bodies`` that send a whole head of ``POST /validate`` then its body one byte a second;
once they are all sending, makes ``--normal`` ordinary requests (one every ``--spacing`` seconds,
each on a new connection) and prints how many were answered within ``--within`` seconds, with their
latencies, as JSON. Everything stays on the machine: only loopback URLs are accepted.
tests/test_slow_clients.py runs it against ``lbp-kg serve --workers 2``; docs/security-http.md has
the figures.
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time
from urllib.parse import urlsplit

#: what the normal requests ask, in turn: the cheapest answer and a real (tiny) SPARQL query
NORMAL_PATHS = ("/health", "/sparql?query=ASK%7B%7D")
SLOW_HEAD = b"GET /health HTTP/1.1\r\nHost: slow\r\nX-Slow: "
SLOW_BODY_LENGTH = 100_000
SLOW_BODY_HEAD = (b"POST /validate HTTP/1.1\r\nHost: slow\r\nContent-Type: application/n-triples\r\n"
                  b"Content-Length: %d\r\n\r\n" % SLOW_BODY_LENGTH)


def _loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"measure loopback servers only (http://127.0.0.1:PORT); got {url}")
    return parts.hostname, parts.port or 80


class SlowClients:
    """Connections that each send one byte a second from a background thread, until stopped."""

    def __init__(self, host: str, port: int, heads: int, bodies: int):
        self.sockets: list[socket.socket] = []
        self.closed_by_server = 0
        for index in range(heads + bodies):
            sock = socket.create_connection((host, port), timeout=5)
            if index >= heads:
                sock.sendall(SLOW_BODY_HEAD)
            else:
                sock.sendall(SLOW_HEAD)
            sock.setblocking(False)
            self.sockets.append(sock)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.is_set():
            for sock in list(self.sockets):
                try:
                    sock.send(b"a")
                except OSError:  # the server closed it (a 408, say)
                    self.sockets.remove(sock)
                    self.closed_by_server += 1
                    sock.close()
            self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.sockets:
            sock.close()


def _timed_get(host: str, port: int, path: str, timeout: float) -> float | None:
    """Seconds until the whole answer of one GET on a new connection, or None if none came."""
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: normal\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while True:
                sock.settimeout(max(timeout - (time.perf_counter() - started), 0.01))
                piece = sock.recv(65536)
                if not piece:
                    break
                answer += piece
    except OSError:
        return None
    if not answer.startswith(b"HTTP/1.1 200"):
        return None
    return time.perf_counter() - started


def measure(url: str, slow_heads: int = 25, slow_bodies: int = 25, normal: int = 14, spacing: float = 0.5,
            within: float = 1.0, settle: float = 2.0, timeout: float = 10.0) -> dict:
    """Run the measurement described in the module text and return its figures."""
    host, port = _loopback(url)
    slow = SlowClients(host, port, slow_heads, slow_bodies)
    try:
        time.sleep(settle)  # every slow client has sent a few bytes: a thread-per-connection server is full
        latencies = []
        for index in range(normal):
            latencies.append(_timed_get(host, port, NORMAL_PATHS[index % len(NORMAL_PATHS)], timeout))
            time.sleep(spacing)
        still_open = len(slow.sockets)
    finally:
        slow.close()
    answered = [s for s in latencies if s is not None]
    return {
        "slow_connections": slow_heads + slow_bodies,
        "slow_still_open": still_open,
        "normal_requests": normal,
        "answered": len(answered),
        "answered_within": sum(1 for s in answered if s <= within),
        "within_seconds": within,
        "median_seconds": round(statistics.median(answered), 4) if answered else None,
        "max_seconds": round(max(answered), 4) if answered else None,
        "latencies": [None if s is None else round(s, 4) for s in latencies],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--slow-heads", type=int, default=25)
    parser.add_argument("--slow-bodies", type=int, default=25)
    parser.add_argument("--normal", type=int, default=14)
    parser.add_argument("--spacing", type=float, default=0.5)
    parser.add_argument("--within", type=float, default=1.0)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.url, args.slow_heads, args.slow_bodies, args.normal, args.spacing, args.within),
                     indent=2))


if __name__ == "__main__":
    main()
