"""Run SPARQL queries within a time limit: in process when known to be cheap, else in killable workers.

Neither pyoxigraph nor a Python thread can be interrupted, so a query that may overrun its
deadline runs in a process of its own. Each worker opens the same read-only on-disk snapshot of
the store (written once per store version under the cache directory), forbids itself network
sockets, then answers jobs from a pipe: it evaluates the query AND serialises the result (row
cap included), sending back bytes. At the deadline the parent kills the worker; the next query
starts a fresh one. Workers start lazily (forkserver: about 15 ms each once the fork server is
up), so an app that never answers a SPARQL query never starts one.

The hop to a worker costs more than a cheap query (~0.3 ms of pipes, pickling and a colder
on-disk store), so two kinds of job skip it and run in the request's own thread, against this
process's store (service.fast_lane):

- the service's own named queries (``QueryJob.trusted``): their text is ours and each opens
  from its bound parameter, so their cost follows that entity's neighbourhood (see
  queries/README.md);
- queries whose *shape* (``QueryInspection.shape``: the text without its string values) has
  already answered in a worker within ``fast_lane.FAST_SECONDS`` of CPU time. A shape that later
  runs slower than that in process goes back to the workers for good.

A job in process runs in the request's thread and cannot be cut off at the deadline: should
one overrun (a cheap shape with an unlucky value), service.fast_lane's watchdog sends every job
to the killable workers until it ends, and restarts the worker if it runs on much longer.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from service.fast_lane import InProcessLane
from service.query_guard import forbid_network
from service.results import ResultNotAcceptable, SerializedResult, serialize_query_result
from service.store import OxigraphStore, QueryDataset, open_snapshot

log = logging.getLogger(__name__)

_POSITION = re.compile(r"error at (\d+):(\d+)")


# --- what crosses the process boundary --------------------------------------------------------

@dataclass(frozen=True)
class QueryJob:
    """One query to run: its text, dataset, bindings and the media type to write each kind in."""

    sparql: str
    dataset: QueryDataset = QueryDataset()
    #: variable name -> pyoxigraph term (terms pickle as their lexical parts)
    substitutions: tuple[tuple[str, object], ...] = ()
    solutions_type: str | None = "application/sparql-results+json"
    graph_type: str | None = "text/turtle"
    #: resolves relative IRIs in the query (the protocol allows the endpoint's own URL)
    base_iri: str | None = None
    #: the service's own query (a named query), not a client's: it may run in process
    trusted: bool = False
    #: the query without its string values (``QueryInspection.shape``), for the in-process lane
    shape: str | None = None


@dataclass(frozen=True)
class _Failure:
    kind: str  # "syntax", "not_acceptable", "evaluation" (the query's fault) or "error" (ours)
    message: str
    detail: str | None = None


class QueryError(Exception):
    """A query could not be answered; subclasses say why."""


class QuerySyntaxError(QueryError):
    """The query does not parse; ``line`` and ``column`` locate the error when known."""

    def __init__(self, message: str):
        super().__init__(message)
        match = _POSITION.search(message)
        self.line = int(match.group(1)) if match else None
        self.column = int(match.group(2)) if match else None


class QueryTimeout(QueryError):
    """The query ran past the time limit and its worker was killed."""

    def __init__(self, seconds: float):
        super().__init__(f"query exceeded the {seconds:g} s time limit; simplify it or add LIMIT")
        self.seconds = seconds


class WorkersBusy(QueryError):
    """Every query worker stayed busy until the deadline."""

    def __init__(self, seconds: float):
        super().__init__(f"every query worker stayed busy for {seconds:g} s; try again shortly")


class QueryFailed(QueryError):
    """Evaluation failed (or the worker died) for a reason other than syntax or time."""


class QueryEvaluationError(QueryError):
    """The query parsed but evaluating it raised an error (a fault of the query)."""


class EndpointUnavailable(QueryError):
    """The remote SPARQL endpoint cannot be reached or is overloaded (the client may retry)."""


class EndpointFailed(QueryError):
    """The remote SPARQL endpoint failed, or answered with something that does not parse."""


class NotAcceptableResult(QueryError):
    """The query's kind of result cannot be written in any media type the client accepts."""

    def __init__(self, kind: str):
        super().__init__(f"no acceptable media type for {kind} results")
        self.kind = kind


# --- the worker process -----------------------------------------------------------------------

def execute_job(store: ox.Store, job: QueryJob, max_rows: int,
                prefixes: dict[str, str] | None) -> SerializedResult | _Failure:
    """Evaluate one job against a store and write its result; failures are returned, not raised."""
    options = job.dataset.query_options()
    if job.base_iri:
        options["base_iri"] = job.base_iri
    if job.substitutions:
        options["substitutions"] = {ox.Variable(name): term for name, term in job.substitutions}
    try:
        result = store.query(job.sparql, **options)
        return serialize_query_result(result, solutions_type=job.solutions_type,
                                      graph_type=job.graph_type, max_rows=max_rows, prefixes=prefixes)
    except SyntaxError as err:
        return _Failure("syntax", str(err))
    except ResultNotAcceptable as err:
        return _Failure("not_acceptable", str(err), err.kind)
    except OSError as err:
        return _Failure("error", f"evaluation failed with a system error: {err}")
    except Exception as err:  # noqa: BLE001 - the worker must answer, whatever went wrong
        return _Failure("evaluation", f"{type(err).__name__}: {err}")


def _worker_main(conn: Connection, snapshot: str, max_rows: int, prefixes: dict[str, str]) -> None:
    sandboxed = forbid_network()
    store = open_snapshot(snapshot)
    conn.send(("ready", sandboxed))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        if job is None:
            return
        started = time.thread_time()
        outcome = execute_job(store, job, max_rows, prefixes)
        conn.send((outcome, time.thread_time() - started))  # with its CPU time, for the fast lane


def _start_context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # the fork server imports these once; every worker forked from it starts warm
        context.set_forkserver_preload(["service.executor"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    sandboxed: bool

    def stop(self) -> None:
        """Kill the process at once (it may be stuck in a query) and reap it."""
        if self.process._parent_pid != os.getpid():
            return  # inherited through a fork: the process that started it owns it
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


# --- the pool ---------------------------------------------------------------------------------

@dataclass
class QueryExecutor:
    """A small pool of query worker processes over one store, with a per-query time limit."""

    store: OxigraphStore
    cache_dir: str
    timeout: float = 10.0
    max_rows: int = 10000
    workers: int = 2
    prefixes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._live = 0
        self._snapshot: Path | None = None
        self._owner_pid = os.getpid()
        self._closed = False
        self._warming = False
        self._finalizer = weakref.finalize(self, _stop_all, self._idle)
        self.stats = {"started": 0, "killed": 0, "last_start_seconds": 0.0}
        self.lane = InProcessLane(self._execute_here, self.timeout)

    def _execute_here(self, job: QueryJob) -> SerializedResult | _Failure:
        return execute_job(self.store.store, job, self.max_rows, self.prefixes)

    def run(self, job: QueryJob) -> SerializedResult:
        """Run a job in process or in a worker and return its serialised result, or raise a QueryError."""
        if self.lane.admits(job):
            return _result_of(self.lane.run(job))
        return _result_of(self._run_in_worker(job))

    def _run_in_worker(self, job: QueryJob) -> SerializedResult | _Failure:
        worker = self._acquire(time.monotonic() + self.timeout)
        # the clock starts when the query does: starting a worker is not the query's fault
        deadline = time.monotonic() + self.timeout
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                log.warning("query overran %.1f s; killing worker %s", self.timeout, worker.process.pid)
                self._discard(worker)
                self.stats["killed"] += 1
                raise QueryTimeout(self.timeout)
            outcome, cpu_seconds = worker.conn.recv()
        except (EOFError, OSError) as err:
            self._discard(worker)
            raise QueryFailed(f"the query worker died while answering ({err or 'no reply'}); "
                              "the query may need too much memory") from None
        self._release(worker)
        if isinstance(outcome, SerializedResult):
            self.lane.learn(job, cpu_seconds)
        return outcome

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
            except Exception:  # noqa: BLE001 - a later query retries and reports the cause
                log.exception("warming up the query workers failed")
            finally:
                self._warming = False

        threading.Thread(target=start_quietly, name="lbp-kg-query-warm-up", daemon=True).start()

    def close(self) -> None:
        """Stop the idle workers; busy ones are stopped when their query returns."""
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
                    raise QueryFailed("the query executor is shut down")
                if self._idle:
                    return self._idle.pop()
                if self._live < self.workers:
                    self._live += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkersBusy(self.timeout)
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

    def _snapshot_path(self) -> Path:
        if self._snapshot is None:
            self._snapshot = self.store.write_snapshot(self.cache_dir)
        return self._snapshot

    def _spawn(self) -> _Worker:
        started = time.perf_counter()
        snapshot = self._snapshot_path()
        context = _start_context()
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_worker_main, name="lbp-kg-query-worker", daemon=True,
                                  args=(child_end, str(snapshot), self.max_rows, self.prefixes))
        process.start()
        child_end.close()
        try:
            if not parent_end.poll(60):
                raise QueryFailed("a query worker did not start within 60 s")
            _, sandboxed = parent_end.recv()
        except (EOFError, OSError):
            process.kill()
            process.join(5)
            raise QueryFailed("a query worker failed to start; see the server log") from None
        seconds = time.perf_counter() - started
        self.stats["started"] += 1
        self.stats["last_start_seconds"] = seconds
        log.info("query worker %s started in %.0f ms (network sandbox %s)",
                 process.pid, seconds * 1000, "on" if sandboxed else "OFF")
        return _Worker(process, parent_end, sandboxed)


def _result_of(outcome: SerializedResult | _Failure) -> SerializedResult:
    """Return a result, or raise the QueryError a failure stands for."""
    if isinstance(outcome, SerializedResult):
        return outcome
    if outcome.kind == "syntax":
        raise QuerySyntaxError(outcome.message)
    if outcome.kind == "not_acceptable":
        raise NotAcceptableResult(outcome.detail)
    if outcome.kind == "evaluation":
        raise QueryEvaluationError(outcome.message)
    raise QueryFailed(outcome.message)


def _stop_all(idle: list[_Worker]) -> None:
    for worker in list(idle):
        worker.stop()
