"""Put load on one URL and measure it: wrk for fast servers, a capped Python client for slow ones.

Both return a ``Measurement`` with requests per second and latency percentiles in milliseconds.
Requests only ever go to 127.0.0.1, and every run is bounded in time (and, for the Python client,
in the number of requests).
"""
from __future__ import annotations

import gzip
import http.client
import json
import math
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")
WRK_MARKER = "WRK_JSON "
#: the environment variable naming a file whose bytes wrk_report.lua POSTs instead of a GET
WRK_BODY_VARIABLE = "LBP_KG_BENCH_BODY_FILE"


class LoadToolMissing(RuntimeError):
    """wrk is not installed."""


@dataclass
class Probe:
    """One request made before measuring, to check the answer is what the benchmark expects."""

    status: int
    content_type: str
    bytes: int  # as sent (compressed when content_encoding says so)
    seconds: float
    cache_headers: dict
    body_start: str
    content_encoding: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Measurement:
    """What a load run observed."""

    tool: str
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    connections: int

    def as_dict(self) -> dict:
        return asdict(self)


def _require_local(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.hostname != "127.0.0.1":
        raise ValueError(f"the benchmark only loads 127.0.0.1, not {parts.hostname!r}")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, parts.port or 80, path


def _method(body: bytes | None) -> str:
    return "GET" if body is None else "POST"


def probe(url: str, headers: dict[str, str], timeout: float = 60.0, body: bytes | None = None) -> Probe:
    """Make one request with ``headers`` (a GET, or a POST of ``body``) and describe the answer."""
    host, port, path = _require_local(url)
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request(_method(body), path, body=body, headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    headers = {k.lower(): v for k, v in response.getheaders()}
    cache = {k: headers[k] for k in ("cache-control", "etag", "last-modified", "x-cache", "age") if k in headers}
    encoding = headers.get("content-encoding", "")
    text = gzip.decompress(body) if encoding == "gzip" else body
    return Probe(status=response.status, content_type=headers.get("content-type", ""), bytes=len(body),
                 seconds=time.perf_counter() - started, cache_headers=cache,
                 body_start=text[:300].decode("utf-8", errors="replace"), content_encoding=encoding)


def run_wrk(url: str, headers: dict[str, str], *, duration: float, threads: int = 2, connections: int = 8,
            timeout: float = 5.0, body: bytes | None = None) -> Measurement:
    """Run wrk against one URL (sending ``headers``) for ``duration`` seconds and read its JSON summary.

    With ``body``, every request is a POST of those bytes (bench/wrk_report.lua reads them from
    the file named by WRK_BODY_VARIABLE), for queries too long for a GET URL.
    """
    _require_local(url)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise LoadToolMissing("wrk is not installed: apt-get install -y wrk")
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
               f"--timeout={max(1, round(timeout))}s", "--latency", "-s", str(WRK_SCRIPT),
               *(arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")), url]
    environment = dict(os.environ)
    environment.pop(WRK_BODY_VARIABLE, None)
    body_file = None
    if body is not None:
        with tempfile.NamedTemporaryFile(prefix="lbp-kg-bench-body-", delete=False) as handle:
            handle.write(body)
        body_file = environment[WRK_BODY_VARIABLE] = handle.name
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout + 30,
                                   env=environment)
    finally:
        if body_file is not None:
            os.unlink(body_file)
    summary = next((json.loads(line[len(WRK_MARKER):]) for line in completed.stdout.splitlines()
                    if line.startswith(WRK_MARKER)), None)
    if completed.returncode != 0 or summary is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    seconds = summary["duration_us"] / 1e6
    latency = summary["latency_us"]
    return Measurement(
        tool="wrk", requests=summary["requests"], seconds=round(seconds, 3),
        requests_per_second=round(summary["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=latency["p50"] / 1000, p90_ms=latency["p90"] / 1000, p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000, errors=sum(summary["errors"].values()), connections=connections,
    )


def percentile(samples: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``samples`` (fraction in 0..1)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def run_capped(url: str, headers: dict[str, str], *, max_requests: int, max_seconds: float, concurrency: int = 2,
               timeout: float = 60.0, body: bytes | None = None) -> Measurement:
    """Send at most ``max_requests`` GETs (POSTs of ``body``, if given) from ``concurrency`` threads,
    stopping after ``max_seconds``.

    For servers so slow that wrk's fixed duration would collect a handful of timeouts: every
    request here runs to completion (up to ``timeout``) and counts.
    """
    host, port, path = _require_local(url)
    latencies: list[float] = []
    errors = 0
    issued = 0
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + max_seconds

    def client() -> None:
        nonlocal issued, errors
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            while True:
                with lock:
                    if issued >= max_requests or time.perf_counter() >= deadline:
                        return
                    issued += 1
                began = time.perf_counter()
                try:
                    connection.request(_method(body), path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    failed = response.status != 200
                except (OSError, http.client.HTTPException):
                    failed = True
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=timeout)
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)
                    errors += failed
        finally:
            connection.close()

    workers = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=max_seconds + timeout + 5)
    seconds = time.perf_counter() - started
    if not latencies:
        latencies = [seconds]
    return Measurement(
        tool="python", requests=len(latencies), seconds=round(seconds, 3),
        requests_per_second=round(len(latencies) / seconds, 3) if seconds else 0.0,
        p50_ms=round(statistics.median(latencies) * 1000, 2),
        p90_ms=round(percentile(latencies, 0.90) * 1000, 2),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 2),
        max_ms=round(max(latencies) * 1000, 2), errors=errors, connections=concurrency,
    )
