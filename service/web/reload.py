"""Swap in a new knowledge base after a write, in this process and in every other one.

Readers take ``app.extensions["lbp_kg"]`` once per request, so replacing that one reference swaps
the whole graph at once: a request sees the old knowledge base or the new one, never half of a
write. Everything derived from a version hangs off its KnowledgeBase (service.kg.knowledge): the
label index and the query executor are made ready before the swap (the old executor is shut down
after a grace period, so queries already running on it finish), and the serialised ontology and
other caches are built afresh for the new version on first use.

The process that writes reloads before it answers, so the writer reads its own write. Other
processes (gunicorn workers) notice the version file service.curation.extension_store bumps after each
commit: before a request, at most once every ``CHECK_INTERVAL`` seconds, one ``stat``; a change
starts a reload in the background while requests go on being answered from the old graph.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)

#: seconds between two looks at the version file (per process)
CHECK_INTERVAL = 0.25
#: seconds the old query executor lives on after a swap, beyond the query time limit
GRACE_SECONDS = 5.0
EXTENSION_KEY = "lbp_kg.reloader"


def _marker(path: Path) -> tuple | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


class Reloader:
    """Keeps one app's knowledge base in step with the extension files on disk."""

    def __init__(self, app: Flask, version_file: Path):
        self.app = app
        self.version_file = Path(version_file)
        self.loaded_marker = _marker(self.version_file)
        self._next_check = 0.0
        self._rebuild_lock = threading.Lock()
        self._background: threading.Thread | None = None

    def reload(self) -> None:
        """Build a new knowledge base from disk and swap it in (serialised: the last build wins)."""
        from service.curation.admission import load_knowledge
        from service.web.query_response import query_executor

        settings = self.app.extensions["lbp_kg.settings"]
        with self._rebuild_lock:
            started = time.perf_counter()
            marker = _marker(self.version_file)
            kb = load_knowledge(settings)  # the gate judges the extensions at every load
            kb.labels  # built (or read from the cache another worker wrote) before anyone sees kb
            with self.app.app_context():
                query_executor(kb).warm_up()
            old = self.app.extensions.get("lbp_kg")
            self.app.extensions["lbp_kg"] = kb  # the one swap: store, labels and caches move together
            self.loaded_marker = marker
            log.info("swapped in graph version %s in %.2f s", kb.version, time.perf_counter() - started)
        if old is not None:
            self._retire(old, settings.query_timeout + GRACE_SECONDS)

    def check(self) -> None:
        """Start a background reload if another process committed a write since the last load."""
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + CHECK_INTERVAL
        if _marker(self.version_file) == self.loaded_marker:
            return
        if self._background is not None and self._background.is_alive():
            return
        self._background = threading.Thread(target=self._reload_quietly, name="lbp-kg-reload", daemon=True)
        self._background.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background reload to finish (for tests and orderly shutdown)."""
        if self._background is not None:
            self._background.join(timeout)

    def _reload_quietly(self) -> None:
        try:
            self.reload()
        except Exception:  # noqa: BLE001 - keep serving the old graph; the next check retries
            log.exception("reloading the knowledge base after another process's write failed")

    @staticmethod
    def _retire(old, delay: float) -> None:
        from service.web.query_response import started_query_executor

        executor = started_query_executor(old)
        if executor is None:
            return
        timer = threading.Timer(delay, executor.close)
        timer.daemon = True
        timer.start()


def init_app(app: Flask, version_file: Path) -> Reloader:
    """Keep the app's knowledge base current with the version file; return the reloader."""
    reloader = Reloader(app, version_file)
    app.extensions[EXTENSION_KEY] = reloader
    app.before_request(reloader.check)
    return reloader
