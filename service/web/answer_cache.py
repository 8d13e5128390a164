"""Replay repeated GET answers without entering Flask: a small in-process HTTP cache in front of the app.

A WSGI middleware. The answers it keeps are exactly those ``service.web.http_cache.cacheable``
tagged (status 200, with an ETag: /sparql GETs, named queries, entity descriptions); errors,
static files and anything else always go to the app. An answer is
keyed by the graph version and everything it can depend on: path, query string, ``Accept`` and
``Accept-Encoding`` (the answers ``Vary`` on them; service.web.compression sits behind this cache, so
a compressed answer is kept compressed), host, scheme and script root (absolute links and the
query's base IRI).
A new graph version (a restart on changed files, or a write) misses every old entry, which then
ages out of the bounded LRU.

Serving a stored answer costs a dictionary lookup where the Flask request cycle costs ~100 us,
which is most of what a cached named query used to cost. A matching ``If-None-Match`` gets 304.

Concurrent identical misses on the paths whose answers are kept (``SHARED_PATHS``) are evaluated
once: the first request runs the app and the others wait for its answer (single-flight). Without
it, a burst of requests for an expensive answer not yet cached (lower-crossed-pattern at 100k
triples takes a second and a half) would evaluate it once per thread, and none would finish.

A request carrying ``Cache-Control: no-cache`` (or ``no-store``, or ``Pragma: no-cache``) is
answered by the app afresh, as HTTP asks of a cache, and every cache behind it is bypassed too
(``wants_fresh_answer``); the benchmark uses this to measure uncached evaluation.
"""
from __future__ import annotations

from typing import Callable, Iterable

from werkzeug.http import unquote_etag

from service.web.http_cache import TAGGED_ANSWER, ResultCache, client_holds, read_whole

#: request headers (as WSGI environ keys) that an answer may depend on besides the graph version
_KEY_HEADERS = ("PATH_INFO", "QUERY_STRING", "HTTP_ACCEPT", "HTTP_ACCEPT_ENCODING", "HTTP_HOST", "SCRIPT_NAME",
                "wsgi.url_scheme", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_PREFIX")
#: answer headers a 304 repeats (RFC 9110 15.4.5, plus CORS so a browser may read it)
_NOT_MODIFIED_HEADERS = frozenset({"etag", "cache-control", "vary", "access-control-allow-origin",
                                   "access-control-expose-headers"})


def wants_fresh_answer(environ: dict) -> bool:
    """Tell whether the client asked for an answer not taken from a cache (no-cache / no-store)."""
    cache_control = environ.get("HTTP_CACHE_CONTROL", "")
    return ("no-cache" in cache_control or "no-store" in cache_control
            or "no-cache" in environ.get("HTTP_PRAGMA", ""))


#: paths whose answers are kept, and so are worth waiting for when another thread is computing them
SHARED_PATHS = ("/sparql", "/queries/", "/id/")


class _Passed:
    """An answer that is not kept (an error, an untagged answer), handed as it came to those who waited."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status, self.headers, self.body = status, headers, body


class _Answer:
    """One stored answer: status line, headers and body, plus what a 304 for it needs."""

    __slots__ = ("status", "headers", "body", "etag", "not_modified_headers")

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status, self.headers, self.body = status, headers, body
        self.etag = unquote_etag(next(value for name, value in headers if name.lower() == "etag"))[0]
        self.not_modified_headers = [(n, v) for n, v in headers if n.lower() in _NOT_MODIFIED_HEADERS]


class AnswerCache:
    """WSGI middleware replaying stored answers of GET requests (see the module docstring)."""

    def __init__(self, app: Callable, version: Callable[[], str], before: Callable[[], None] | None = None,
                 max_entries: int = 512, max_entry_bytes: int = 1024 * 1024):
        """``version`` returns the current graph version; ``before`` runs first on every request
        (the reloader's check, so another process's write is noticed even when answers are cached)."""
        self.app = app
        self.version = version
        self.before = before
        self.entries = ResultCache(max_entries, max_entry_bytes)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or self.entries.max_entries <= 0:
            return self.app(environ, start_response)
        if self.before is not None:
            self.before()
        key = (self.version(), *(environ.get(name) for name in _KEY_HEADERS))
        fresh = wants_fresh_answer(environ)
        if not fresh:
            answer = self.entries.get(key)
            if answer is not None:
                return self._replay(answer, environ, start_response)
            if self._shared(environ):
                answer = self.entries.get_or_compute(key, lambda: self._evaluate(environ), _kept_size)
                if isinstance(answer, _Passed):
                    start_response(answer.status, list(answer.headers))
                    return [answer.body]
                return self._replay(answer, environ, start_response)
        return self._answer_and_keep(key, environ, start_response, keep="no-store" not in
                                     environ.get("HTTP_CACHE_CONTROL", ""))

    @staticmethod
    def _shared(environ: dict) -> bool:
        # a conditional or partial request gets an answer of its own (304, 206), never one to share
        return (environ.get("PATH_INFO", "").startswith(SHARED_PATHS)
                and not environ.get("HTTP_IF_NONE_MATCH") and not environ.get("HTTP_RANGE"))

    def _evaluate(self, environ: dict) -> "_Answer | _Passed":
        """Run the app for one request and return its whole answer (kept if it was tagged)."""
        seen: dict = {}

        def record(status: str, headers: list[tuple[str, str]], exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return lambda data: None  # the write() callable: Flask never uses it

        data = read_whole(self.app(environ, record))
        if environ.get(TAGGED_ANSWER) and seen["status"].startswith("200"):
            return _Answer(seen["status"], list(seen["headers"]), data)
        return _Passed(seen["status"], list(seen["headers"]), data)

    @staticmethod
    def _replay(answer: _Answer, environ: dict, start_response: Callable) -> list[bytes]:
        if client_holds(environ, answer.etag):
            start_response("304 NOT MODIFIED", list(answer.not_modified_headers))
            return []
        start_response(answer.status, list(answer.headers))
        return [answer.body]

    def _answer_and_keep(self, key: tuple, environ: dict, start_response: Callable, keep: bool):
        seen: dict = {}

        def record(status: str, headers: list[tuple[str, str]], exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = self.app(environ, record)
        if not keep or not environ.get(TAGGED_ANSWER) or not seen.get("status", "").startswith("200"):
            return body
        data = read_whole(body)
        self.entries.put(key, _Answer(seen["status"], list(seen["headers"]), data), len(data))
        return [data]


def _kept_size(answer) -> float:
    """The size an answer takes in the cache; an answer not to keep is larger than any entry may be."""
    return len(answer.body) if isinstance(answer, _Answer) else float("inf")
