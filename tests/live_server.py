"""``lbp-kg serve`` as a real process on 127.0.0.1, for tests that need a real server and raw sockets."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

LBP_KG = Path(sys.executable).parent / "lbp-kg"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """``lbp-kg serve`` (with ``workers``: under gunicorn with deploy/gunicorn.conf.py), its log in ``root``."""

    def __init__(self, root: Path, workers: int | None, env: dict[str, str] | None = None,
                 program: Path = LBP_KG, cwd: Path | None = None):
        if not program.exists():
            pytest.skip("needs the lbp-kg command (make setup)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = root / "server.log"
        command = [str(program), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command + (["--workers", str(workers)] if workers else []),
                                            env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                                            cwd=cwd)
        try:
            self._wait_until_up(120)
        except BaseException:
            self.stop()  # never leave a server running behind a failed start
            raise

    def _wait_until_up(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or no worker up yet
                time.sleep(0.2)
        raise AssertionError(f"the server did not answer /health within {seconds:.0f} s; its log ends:\n"
                             + self.log_path.read_text()[-3000:])

    def connect(self, timeout: float = 30) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def exchange(self, head: str, body: bytes = b"", half_close: bool = True) -> tuple[int, dict]:
        """Send ``head`` (lines ended by \\n) and ``body`` as they are, then read one answer (status, JSON)."""
        with self.connect() as sock:
            sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
            if half_close:
                sock.shutdown(socket.SHUT_WR)  # the client has nothing more to send
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            return answer.status, json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
