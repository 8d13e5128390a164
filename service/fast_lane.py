"""The in-process lane of the query executor: cheap queries answered in the request's own thread.

See service.executor for which jobs take this lane (the service's own named queries, and client
queries whose shape answered cheaply in a worker). A hop to a thread pool would cost ~50-90 us of
thread hand-offs per query, as much as a cheap query itself, so a job runs in the calling thread.
The price: a query that overruns its deadline here cannot be cut off. A watchdog thread notices
it; from then on every job goes to the killable workers until it ends, its shape never runs in
process again, and if it still runs a second time limit later ``on_runaway`` is called (the
gunicorn configuration restarts the worker gracefully). Its client gets the answer late, or the
connection closes when the worker restarts.
"""
from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import OrderedDict
from typing import Callable, Hashable

log = logging.getLogger(__name__)

#: a shape whose evaluation took at most this much CPU time may run in process (CPU time, not
#: wall time, so that a busy machine does not make a cheap query look expensive)
FAST_SECONDS = 0.05
#: verdicts kept per store version (least recently used forgotten first)
SHAPES_REMEMBERED = 4096

_on_runaway: Callable[[], None] | None = None


def on_runaway(handler: Callable[[], None] | None) -> None:
    """Set what to do when an in-process query is still running a second time limit after its
    deadline (gunicorn's configuration restarts the worker gracefully); None only logs."""
    global _on_runaway
    _on_runaway = handler


class InProcessLane:
    """Runs jobs with ``execute(job)`` in the calling thread; remembers which query shapes are cheap."""

    def __init__(self, execute: Callable, timeout: float):
        self.execute = execute
        self.timeout = timeout
        self._verdicts: OrderedDict[Hashable, bool] = OrderedDict()
        #: jobs running now: ticket -> (started, job); and the tickets past their deadline
        self._running: dict[int, tuple[float, object]] = {}
        self._runaways: set[int] = set()
        self._tickets = itertools.count()
        self._lock = threading.Lock()
        self._watchdog: threading.Thread | None = None
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

    def learn(self, job, cpu_seconds: float) -> None:
        """Record the CPU time a job of this shape took in a worker.

        Only a quick run admits the shape; a slow one is not held against it, since a worker's
        first queries read a cold snapshot. (What is slow in process is never admitted again.)
        """
        key = _shape_key(job)
        if key is None or job.trusted or cpu_seconds > FAST_SECONDS:
            return
        with self._lock:
            if key in self._verdicts:
                return
            self._verdicts[key] = True
            while len(self._verdicts) > SHAPES_REMEMBERED:
                self._verdicts.popitem(last=False)

    def run(self, job):
        """Run the job in this thread and return what ``execute`` returns."""
        self._ensure_watchdog()
        ticket = next(self._tickets)
        self._running[ticket] = (time.monotonic(), job)
        started = time.thread_time()  # this thread's CPU time, Oxigraph's evaluation included
        try:
            return self.execute(job)
        finally:
            cpu_seconds = time.thread_time() - started
            with self._lock:
                del self._running[ticket]
                self._runaways.discard(ticket)
            self.stats["in_process"] += 1
            if cpu_seconds > FAST_SECONDS and not job.trusted:
                self._demote(job)
                self.stats["demoted"] += 1
                log.info("query shape took %.0f ms of CPU in process; it runs in the workers from now on",
                         cpu_seconds * 1000)

    def _demote(self, job) -> None:
        key = _shape_key(job)
        if key is not None:
            with self._lock:
                self._verdicts[key] = False

    def _ensure_watchdog(self) -> None:
        if self._watchdog is None or not self._watchdog.is_alive():  # threads do not survive a fork
            with self._lock:
                if self._watchdog is None or not self._watchdog.is_alive():
                    self._watchdog = threading.Thread(target=self._watch, name="lbp-kg-query-watchdog", daemon=True)
                    self._watchdog.start()

    def _watch(self) -> None:
        interval = min(1.0, self.timeout / 4)
        reported: set[int] = set()
        while True:
            time.sleep(interval)
            now = time.monotonic()
            with self._lock:
                running = list(self._running.items())
            for ticket, (started, job) in running:
                overrun = now - started - self.timeout
                if overrun < 0:
                    continue
                if ticket not in self._runaways and ticket not in reported:
                    with self._lock:
                        if ticket in self._running:
                            self._runaways.add(ticket)
                    self._demote(job)
                    self.stats["runaways"] += 1
                    log.error("a query has run past the %g s limit in process and cannot be stopped; every "
                              "query goes to the killable workers until it ends", self.timeout)
                if overrun >= self.timeout and ticket not in reported:
                    reported.add(ticket)
                    log.critical("a runaway query is still running %g s after its deadline", overrun)
                    if _on_runaway is not None:
                        _on_runaway()
            reported &= set(self._running)


def _shape_key(job) -> Hashable | None:
    if not job.shape:
        return None
    return job.shape, job.dataset, job.base_iri
