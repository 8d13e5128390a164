"""Run untrusted work in worker processes that are off the network, limited in memory and CPU, and killable.

Neither pyoxigraph nor a Python thread can be interrupted, and a parser fed hostile input may
loop, allocate without end or crash. So every piece of work a client controls (a SPARQL query, a
SPARQL update, a graph to validate) runs in a worker process of a ``SandboxPool``:

- the worker locks itself out of the network first (``forbid_network``: seccomp), whatever the
  work manages to ask for;
- its heap is capped (RLIMIT_DATA, ``memory_mb``), so an allocation past the cap fails in that
  worker alone, and each task may use at most ``timeout`` seconds of CPU (RLIMIT_CPU);
- the parent waits at most ``timeout`` seconds for the answer, then kills the worker; the next
  task starts a fresh one.

A pool is built from a ``setup`` function, run once in each new worker (open a store, load the
shapes ...), and a ``handle`` function that answers one task from what ``setup`` returned. Both
must be importable module-level functions, since workers start from a fork server
(``multiprocessing``'s forkserver: about 15 ms a worker once the server is up) that imports the
modules named in ``preload`` once. Workers start lazily, so an app that never validates starts
no validation worker.
"""
from __future__ import annotations

import logging
import math
import multiprocessing
import os
import resource
import signal
import threading
import time
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Callable

from service.engine.network_lock import forbid_network

log = logging.getLogger(__name__)

_PRELOADED: set[str] = {"service.engine.sandbox"}


class SandboxError(Exception):
    """A task could not be answered by its worker; subclasses say why."""


class SandboxTimeout(SandboxError):
    """The task ran past the time limit and its worker was killed."""

    def __init__(self, seconds: float):
        super().__init__(f"it ran past the {seconds:g} s time limit")
        self.seconds = seconds


class SandboxBusy(SandboxError):
    """Every worker stayed busy until the deadline."""

    def __init__(self, seconds: float):
        super().__init__(f"every worker stayed busy for {seconds:g} s; try again shortly")


class SandboxExhausted(SandboxError):
    """The task needed more memory or CPU time than a worker may use."""

    def __init__(self, resource_name: str, limit: str):
        super().__init__(f"it needed more {resource_name} than the {limit} limit")
        self.resource_name = resource_name


class SandboxCrashed(SandboxError):
    """The worker died while answering, for a reason other than the limits."""


@dataclass(frozen=True)
class _Exhausted:
    resource_name: str  # sent back by a worker whose task raised MemoryError


@dataclass(frozen=True)
class _Raised:
    message: str  # sent back by a worker whose task raised anything else (the worker lives on)


def no_setup() -> None:
    """The ``setup`` of a pool whose tasks need nothing prepared."""
    return None


# --- inside a worker ----------------------------------------------------------------------------

def limit_memory(megabytes: int | None) -> None:
    """Cap this process's heap (brk and private mappings; read-only file mappings are not counted)."""
    if megabytes:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def limit_cpu_for_next_task(seconds: float) -> None:
    """Allow this process ``seconds`` more CPU time (SIGXCPU ends it past that)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _worker_main(conn: Connection, setup: Callable, setup_args: tuple, handle: Callable,
                 memory_mb: int | None, cpu_seconds: float) -> None:
    sandboxed = forbid_network()
    limit_memory(memory_mb)
    state = setup(*setup_args)
    conn.send(("ready", sandboxed))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        if task is None:
            return
        limit_cpu_for_next_task(cpu_seconds)
        try:
            outcome = handle(state, task)
        except MemoryError:
            outcome = _Exhausted("memory")
        except Exception as err:  # noqa: BLE001 - report it and stay ready for the next task
            outcome = _Raised(f"{type(err).__name__}: {err}")
        conn.send(outcome)


def _start_context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(sorted(_PRELOADED))  # every worker forked from it starts warm
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    sandboxed: bool

    def stop(self) -> None:
        """Kill the process at once (it may be stuck in a task) and reap it."""
        if self.process._parent_pid != os.getpid():
            return  # inherited through a fork: the process that started it owns it
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


# --- the pool -----------------------------------------------------------------------------------

@dataclass
class SandboxPool:
    """A small pool of sandboxed worker processes answering one task at a time within limits."""

    name: str
    setup: Callable[..., Any]
    #: called in the parent when a worker starts; returns the arguments given to ``setup``
    setup_args: Callable[[], tuple]
    handle: Callable[[Any, Any], Any]
    timeout: float = 10.0
    workers: int = 2
    memory_mb: int | None = 1024
    preload: tuple[str, ...] = ()
    stats: dict = field(default_factory=lambda: {"started": 0, "killed": 0, "last_start_seconds": 0.0})

    def __post_init__(self):
        _PRELOADED.update(self.preload)
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._live = 0
        self._owner_pid = os.getpid()
        self._closed = False
        self._warming = False
        self._finalizer = weakref.finalize(self, _stop_all, self._idle)

    def run(self, task) -> Any:
        """Answer a task in a worker and return what ``handle`` returned, or raise a SandboxError."""
        worker = self._acquire(time.monotonic() + self.timeout)
        # the clock starts when the task does: starting a worker is not the task's fault
        deadline = time.monotonic() + self.timeout
        try:
            worker.conn.send(task)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                log.warning("%s task overran %.1f s; killing worker %s", self.name, self.timeout, worker.process.pid)
                self._discard(worker)
                self.stats["killed"] += 1
                raise SandboxTimeout(self.timeout)
            outcome = worker.conn.recv()
        except (EOFError, OSError):
            self._discard(worker)
            raise self._death_of(worker) from None
        self._release(worker)
        if isinstance(outcome, _Exhausted):
            raise SandboxExhausted("memory", f"{self.memory_mb} MiB")
        if isinstance(outcome, _Raised):
            log.error("a %s task failed in its worker: %s", self.name, outcome.message)
            raise SandboxCrashed(f"the {self.name} task failed ({outcome.message})")
        return outcome

    def _death_of(self, worker: _Worker) -> SandboxError:
        """Say why a worker died: over its memory or CPU limit, or a crash (logged either way)."""
        code = worker.process.exitcode
        signal_number = -code if code is not None and code < 0 else None
        if signal_number == signal.SIGXCPU:
            log.warning("%s worker %s passed its CPU limit", self.name, worker.process.pid)
            return SandboxExhausted("CPU time", f"{self.timeout:g} s")
        if signal_number in (signal.SIGABRT, signal.SIGKILL):
            # Rust aborts when an allocation past RLIMIT_DATA fails; the kernel's OOM killer kills
            log.warning("%s worker %s died (exit %s), most likely over its %s MiB memory limit",
                        self.name, worker.process.pid, code, self.memory_mb)
            return SandboxExhausted("memory", f"{self.memory_mb} MiB")
        log.error("%s worker %s crashed (exit %s)", self.name, worker.process.pid, code)
        return SandboxCrashed(f"the {self.name} worker crashed (exit {code}); the server log has the details")

    def start(self) -> None:
        """Start every worker now instead of on first use (e.g. after a server forks)."""
        started = []
        while True:
            with self._lock:
                self._adopt_after_fork()
                if self._live >= self.workers:
                    break
                self._live += 1
            try:
                started.append(self._spawn())
            except BaseException:
                with self._lock:
                    self._live -= 1
                raise
        for worker in started:
            self._release(worker)

    def warm_up(self) -> None:
        """Start the workers in a background thread, unless some already exist or are starting."""
        with self._lock:
            if self._live or self._warming or self._closed:
                return
            self._warming = True

        def start_quietly():
            try:
                self.start()
            except Exception:  # noqa: BLE001 - a later task retries and reports the cause
                log.exception("warming up the %s workers failed", self.name)
            finally:
                self._warming = False

        threading.Thread(target=start_quietly, name=f"lbp-kg-{self.name}-warm-up", daemon=True).start()

    def close(self) -> None:
        """Stop the idle workers; busy ones are stopped when their task returns."""
        with self._lock:
            self._closed = True
            idle, self._idle[:] = list(self._idle), []
            self._live -= len(idle)
        for worker in idle:
            worker.stop()

    @property
    def live_workers(self) -> int:
        """How many worker processes exist (idle or busy)."""
        return self._live

    # -- internals --

    def _adopt_after_fork(self) -> None:
        # after a fork (e.g. gunicorn --preload) the inherited workers belong to the parent
        if os.getpid() != self._owner_pid:
            self._owner_pid = os.getpid()
            self._idle.clear()
            self._live = 0

    def _acquire(self, deadline: float) -> _Worker:
        with self._lock:
            self._adopt_after_fork()
            while True:
                if self._closed:
                    raise SandboxCrashed(f"the {self.name} workers are shut down")
                if self._idle:
                    return self._idle.pop()
                if self._live < self.workers:
                    self._live += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxBusy(self.timeout)
                self._lock.wait(remaining)
        try:
            return self._spawn()
        except BaseException:
            with self._lock:
                self._live -= 1
                self._lock.notify()
            raise

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed or os.getpid() != self._owner_pid:
                self._live -= 1
                worker.stop()
                return
            self._idle.append(worker)
            self._lock.notify()

    def _discard(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._live -= 1
            self._lock.notify()

    def _spawn(self) -> _Worker:
        started = time.perf_counter()
        context = _start_context()
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_worker_main, name=f"lbp-kg-{self.name}-worker", daemon=True,
                                  args=(child_end, self.setup, self.setup_args(), self.handle,
                                        self.memory_mb, self.timeout))
        process.start()
        child_end.close()
        try:
            if not parent_end.poll(60):
                raise SandboxCrashed(f"a {self.name} worker did not start within 60 s")
            _, sandboxed = parent_end.recv()
        except (EOFError, OSError):
            process.kill()
            process.join(5)
            raise SandboxCrashed(f"a {self.name} worker failed to start; see the server log") from None
        seconds = time.perf_counter() - started
        self.stats["started"] += 1
        self.stats["last_start_seconds"] = seconds
        log.info("%s worker %s started in %.0f ms (network sandbox %s)",
                 self.name, process.pid, seconds * 1000, "on" if sandboxed else "OFF")
        return _Worker(process, parent_end, sandboxed)


def _stop_all(idle: list[_Worker]) -> None:
    for worker in list(idle):
        worker.stop()
