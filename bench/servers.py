"""Start, watch and stop the servers a benchmark compares, and read their memory from /proc.

Every server runs in a session of its own, so stopping it signals exactly the process group the
benchmark started (gunicorn's master and workers, or one peer process) and nothing else.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
VENV_BIN = Path(sys.executable).parent


class ServerFailed(RuntimeError):
    """A server exited or never answered; the message ends with the tail of its log."""


@dataclass
class RunningServer:
    """A server process the benchmark started, where it listens and how long it took to answer."""

    name: str
    process: subprocess.Popen
    base_url: str
    log_path: Path
    started_at: float
    ready_seconds: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def executable(name: str) -> str:
    """Return the path of a console script, preferring the running virtualenv's."""
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else name


def log_tail(path: Path, lines: int = 25) -> str:
    """Return the last lines of a server log, for error messages."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def start(name: str, command: list[str], log_path: Path, *, port: int, env: dict | None = None,
          cwd: Path = PROJECT_ROOT) -> RunningServer:
    """Start a server in its own session, its output going to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    full_env.update(env or {})
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        process = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return RunningServer(name=name, process=process, base_url=f"http://127.0.0.1:{port}",
                         log_path=log_path, started_at=time.perf_counter())


def gunicorn_command(app: str, port: int, workers: int) -> list[str]:
    """Return the command serving a WSGI app under the project's gunicorn settings."""
    return [executable("gunicorn"), "--config", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), app]


def wait_until_ready(server: RunningServer, path: str, timeout: float) -> float:
    """Poll ``path`` until it answers 200; return the seconds since the server was started."""
    deadline = time.monotonic() + timeout
    url = server.base_url + path
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(f"{server.name} exited with status {server.process.returncode} before "
                               f"answering {path}; log {server.log_path}:\n{log_tail(server.log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    server.ready_seconds = time.perf_counter() - server.started_at
                    return server.ready_seconds
        except urllib.error.HTTPError as err:
            if err.code in (400, 404, 405):  # answering, but not what the benchmark expects
                raise ServerFailed(f"{server.name} answered {url} with HTTP {err.code}; "
                                   f"log {server.log_path}:\n{log_tail(server.log_path)}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.05)
    raise ServerFailed(f"{server.name} did not answer {url} within {timeout:.0f} s; "
                       f"log {server.log_path}:\n{log_tail(server.log_path)}")


def stop(server: RunningServer, grace: float = 15.0) -> None:
    """Stop the server's process group: SIGTERM, then SIGKILL if it lingers."""
    if server.process.poll() is not None:
        return
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=grace)
    except ProcessLookupError:
        pass


def children(pid: int) -> list[int]:
    """Return the direct child processes of ``pid`` (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.extend(int(child) for child in handle.read().split())
        except FileNotFoundError:
            continue
    return sorted(set(found))


def descendants(pid: int) -> list[int]:
    """Return every process below ``pid``, depth first."""
    result: list[int] = []
    for child in children(pid):
        result.append(child)
        result.extend(descendants(child))
    return result


def _status_kb(pid: int, field_name: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def _pss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def process_memory(pid: int) -> dict:
    """Return a process's resident memory in MiB: rss, peak rss (hwm) and proportional share (pss).

    RSS counts pages shared with other processes in full; PSS divides them among the sharers, so
    the PSS of all workers adds up to what they really use together.
    """
    values = {"rss": _status_kb(pid, "VmRSS"), "hwm": _status_kb(pid, "VmHWM"), "pss": _pss_kb(pid)}
    return {key: (round(kb / 1024, 1) if kb is not None else None) for key, kb in values.items()}


def worker_memory(server: RunningServer) -> list[dict]:
    """Return the memory of each worker of a pre-fork server (or of the process itself).

    A worker's own helper processes (query executors) are counted with it: ``tree_rss`` and
    ``tree_pss`` cover the worker and everything it started.
    """
    workers = children(server.pid) or [server.pid]
    report = []
    for worker in workers:
        entry = {"pid": worker, **process_memory(worker)}
        below = descendants(worker)
        tree = [process_memory(p) for p in below]
        entry["helpers"] = len(below)
        entry["tree_rss"] = _sum(entry["rss"], *(m["rss"] for m in tree))
        entry["tree_pss"] = _sum(entry["pss"], *(m["pss"] for m in tree))
        report.append(entry)
    return report


def _sum(*values):
    known = [v for v in values if v is not None]
    return round(sum(known), 1) if known else None


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


def wait_until_idle(server: RunningServer, timeout: float, window: float = 0.5) -> float:
    """Wait until no process of the server uses CPU for a whole window (every worker has loaded).

    The first healthy answer comes from whichever worker loaded first; measuring before the
    others finish would charge their loading to the first queries. Returns the seconds waited.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        pids = [server.pid, *descendants(server.pid)]
        before = _cpu_ticks(pids)
        time.sleep(window)
        if _cpu_ticks(pids) - before <= 1:
            break
    return time.monotonic() - started
