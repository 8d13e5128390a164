"""HTTP caching of GET answers: ETags, 304 Not Modified, Cache-Control, and the bounded store behind the answer cache.

An answer's ETag is a hash of the graph version, the request's path and query string, and the
negotiated media type (plus the row cap, which changes the bytes), so it changes exactly when the
answer can: a new ontology or extension gives a new version and every ETag with it. Because the
ETag is known from the request alone, a matching ``If-None-Match`` is answered with 304 before
any query runs. Answers carry ``Cache-Control: public, max-age=<http_max_age>`` and
``Vary: Accept``; errors are never marked cacheable.

``ResultCache`` is the bounded LRU the answer cache (service.web.answer_cache) keeps whole answers
in, keyed by graph version among the rest, so an entry of an old version is never served and ages
out. It is the one cache of answers: named queries keep no results of their own. ``get_or_compute`` is single-flight: when several threads miss the same
entry at once, one computes it and the others wait for that result instead of computing it too.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Callable, Hashable

from flask import Response, current_app, request
from werkzeug.http import parse_etags

CACHEABLE_METHODS = ("GET", "HEAD")
#: WSGI environ key set on a request whose answer was tagged here: service.web.answer_cache keeps
#: exactly those answers (not static files, which carry ETags of their own)
TAGGED_ANSWER = "lbp_kg.tagged_answer"


def _settings():
    return current_app.extensions["lbp_kg.settings"]


def answer_etag(version: str, media_type: str) -> str | None:
    """Return the ETag of this GET request's answer in ``media_type``; None for other methods."""
    environ = request.environ  # read once: each access through the request proxy costs
    if environ["REQUEST_METHOD"] not in CACHEABLE_METHODS:
        return None
    digest = hashlib.sha256("\0".join((
        version, str(_settings().max_rows), environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""), media_type)).encode("utf-8"))
    return digest.hexdigest()[:24]


def _mark(response: Response, etag: str) -> Response:
    max_age = _settings().http_max_age
    headers = response.headers
    headers["ETag"] = f'"{etag}"'
    headers["Cache-Control"] = f"public, max-age={max_age}" if max_age > 0 else "no-cache"
    if "Vary" not in headers:  # every cacheable answer is negotiated on Accept, and only on it
        headers["Vary"] = "Accept"
    return response


def read_whole(body) -> bytes:
    """Return a WSGI answer's body as one bytes object, closing the iterable as WSGI asks."""
    try:
        return b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()


def client_holds(environ: dict, etag: str) -> bool:
    """Tell whether the request's If-None-Match names ``etag`` (weakly compared)."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    return bool(if_none_match) and parse_etags(if_none_match).contains_weak(etag)


def not_modified(etag: str | None) -> Response | None:
    """Return a bodiless 304 when the client already holds the answer tagged ``etag``."""
    if etag is None or not client_holds(request.environ, etag):
        return None
    return _mark(Response(status=304), etag)


def cacheable(response: Response, etag: str | None) -> Response:
    """Tag a successful answer with its ETag and Cache-Control (unchanged when ``etag`` is None)."""
    if etag is None or response.status_code != 200:
        return response
    request.environ[TAGGED_ANSWER] = True
    return _mark(response, etag)


#: bytes one cache may hold in all, whatever its entry limits allow (least recent evicted first)
MAX_TOTAL_BYTES = 64 * 1024 * 1024


class ResultCache:
    """A thread-safe LRU of serialised results, bounded by entries, by the size of each and in total."""

    def __init__(self, max_entries: int, max_entry_bytes: int, max_total_bytes: int = MAX_TOTAL_BYTES):
        self.max_entries = max_entries
        self.max_entry_bytes = max_entry_bytes
        self.max_total_bytes = max_total_bytes
        self.total_bytes = 0
        self._sizes: dict[Hashable, int] = {}
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        #: entries being computed right now, by key (at most one per key; bounded by the threads)
        self._flights: dict[Hashable, _Flight] = {}
        self.hits = self.misses = 0

    def get(self, key: Hashable):
        """Return the cached value of ``key`` (and mark it recently used), or None."""
        with self._lock:
            return self._hit(key)

    def get_or_compute(self, key: Hashable, compute: Callable[[], object], size: Callable[[object], int]):
        """Return the cached value of ``key``, computing it once however many threads ask at the same time.

        The first thread to miss computes the value outside the lock; the others wait for it and
        share its result (or its exception, which they raise too; nothing is cached then).
        """
        with self._lock:
            value = self._hit(key)
            if value is not None:
                return value
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        if not leader:
            return flight.wait()
        try:
            value = compute()
        except BaseException as err:
            with self._lock:
                del self._flights[key]
            flight.fail(err)
            raise
        with self._lock:  # kept and announced at once, so no thread starts a second computation
            self._keep(key, value, size(value))
            del self._flights[key]
        flight.succeed(value)
        return value

    def _hit(self, key: Hashable):
        # the caller holds the lock
        value = self._entries.get(key)
        if value is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: Hashable, value, size: int) -> None:
        """Keep ``value`` unless it is larger than one entry may be; evict the least recent."""
        with self._lock:
            self._keep(key, value, size)

    def _keep(self, key: Hashable, value, size: int) -> None:
        # the caller holds the lock
        if self.max_entries <= 0 or size > min(self.max_entry_bytes, self.max_total_bytes):
            return
        self.total_bytes += size - self._sizes.get(key, 0)
        self._sizes[key] = size
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries or self.total_bytes > self.max_total_bytes:
            evicted, _ = self._entries.popitem(last=False)
            self.total_bytes -= self._sizes.pop(evicted)

    def __len__(self) -> int:
        return len(self._entries)


class _Flight:
    """One computation of a cache entry that other threads can wait for."""

    def __init__(self):
        self._done = threading.Event()
        self._value = None
        self._error: BaseException | None = None

    def succeed(self, value) -> None:
        self._value = value
        self._done.set()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self._done.set()

    def wait(self):
        """Return the computed value, or raise the computation's exception."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value
