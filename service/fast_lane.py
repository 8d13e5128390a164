"""The in-process lane of the query executor: cheap queries answered on a thread pool, with a deadline.

See service.executor for when a job takes this lane (trusted named queries, and shapes that
answered quickly in a worker) and what happens to one that overruns. This module keeps the
verdicts per query shape, runs the jobs, and watches runaway threads.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable, Hashable

log = logging.getLogger(__name__)

#: a shape that answered within this many seconds (worker hop included) may run in process
FAST_SECONDS = 0.05
#: verdicts kept per store version (least recently used forgotten first)
SHAPES_REMEMBERED = 4096
#: threads answering in-process jobs; pyoxigraph releases the GIL while it evaluates
THREADS = 4

_on_runaway: Callable[[], None] | None = None


def on_runaway(handler: Callable[[], None] | None) -> None:
    """Set what to do when an in-process query is still running a second time limit after its
    deadline (gunicorn's configuration restarts the worker gracefully); None only logs."""
    global _on_runaway
    _on_runaway = handler


class InProcessLane:
    """Runs jobs with ``execute(job)`` on a thread pool; remembers which query shapes are cheap."""

    def __init__(self, execute: Callable, timeout: float):
        self.execute = execute
        self.timeout = timeout
        self._verdicts: OrderedDict[Hashable, bool] = OrderedDict()
        self._runaways: set[Future] = set()
        self._lock = threading.Lock()
        self._pool: _DaemonThreads | None = None
        self._pool_pid = 0
        self.stats = {"in_process": 0, "demoted": 0, "runaways": 0}

    def admits(self, job) -> bool:
        """Say whether the job may run here: trusted, or of a shape known to be cheap, and no
        earlier in-process query is still running past its deadline."""
        if self._runaways:
            return False
        if job.trusted:
            return True
        key = _shape_key(job)
        return key is not None and self._verdicts.get(key) is True

    def learn(self, job, seconds: float) -> None:
        """Record how long a job of this shape took in a worker (a slow verdict is never undone)."""
        key = _shape_key(job)
        if key is None or job.trusted:
            return
        with self._lock:
            if self._verdicts.get(key) is False:
                return
            self._verdicts[key] = seconds <= FAST_SECONDS
            self._verdicts.move_to_end(key)
            while len(self._verdicts) > SHAPES_REMEMBERED:
                self._verdicts.popitem(last=False)

    def run(self, job):
        """Run the job here and return what ``execute`` returns; TimeoutError past the deadline."""
        started = time.perf_counter()
        future = self._threads().submit(self.execute, job)
        try:
            outcome = future.result(timeout=self.timeout)
        except FutureTimeout:
            self._watch_runaway(future, job)
            raise TimeoutError(f"in-process query overran {self.timeout:g} s") from None
        seconds = time.perf_counter() - started
        self.stats["in_process"] += 1
        if seconds > FAST_SECONDS and not job.trusted:
            with self._lock:
                self._verdicts[_shape_key(job)] = False
            self.stats["demoted"] += 1
            log.info("query shape took %.0f ms in process; it runs in the workers from now on", seconds * 1000)
        return outcome

    def close(self) -> None:
        """Stop taking jobs; threads finish what they are running."""
        if self._pool is not None and self._pool_pid == os.getpid():
            self._pool.shutdown()
        self._pool = None

    def _threads(self) -> "_DaemonThreads":
        if self._pool is None or self._pool_pid != os.getpid():  # threads do not survive a fork
            self._pool = _DaemonThreads(THREADS)
            self._pool_pid = os.getpid()
        return self._pool

    def _watch_runaway(self, future: Future, job) -> None:
        with self._lock:
            self._runaways.add(future)
            key = _shape_key(job)
            if key is not None:
                self._verdicts[key] = False
        self.stats["runaways"] += 1
        log.error("a query ran past the %g s limit in process; its thread cannot be stopped, so every "
                  "query goes to the killable workers until it ends", self.timeout)

        def finished(done: Future) -> None:
            with self._lock:
                self._runaways.discard(done)

        future.add_done_callback(finished)

        def still_running() -> None:
            if future.done():
                return
            log.critical("a runaway query is still running %g s after its deadline", self.timeout)
            if _on_runaway is not None:
                _on_runaway()

        timer = threading.Timer(self.timeout, still_running)
        timer.daemon = True
        timer.start()


class _DaemonThreads:
    """A fixed set of daemon threads running submitted calls.

    Not concurrent.futures.ThreadPoolExecutor: it joins its threads when the interpreter exits,
    so a runaway query would keep the process from ever stopping.
    """

    def __init__(self, count: int):
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._count = count
        for number in range(count):
            threading.Thread(target=self._serve, name=f"lbp-kg-query-{number}", daemon=True).start()

    def submit(self, function: Callable, argument) -> Future:
        future: Future = Future()
        self._calls.put((future, function, argument))
        return future

    def shutdown(self) -> None:
        """Let each thread end once it has finished its current call."""
        for _ in range(self._count):
            self._calls.put(None)

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            future, function, argument = call
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(function(argument))
                except BaseException as err:  # noqa: BLE001 - handed to the waiting request
                    future.set_exception(err)


def _shape_key(job) -> Hashable | None:
    if not job.shape:
        return None
    return job.shape, job.dataset, job.base_iri

