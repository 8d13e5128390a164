"""Request bodies are read whole and exactly, in one place, before any view sees a byte of them.

Every view that reads a body (``request.get_data``, ``request.form``, ``request.stream``) goes
through ``Request.stream``, which this module replaces: the body is read to exactly its declared
``Content-Length``, or, when it is chunked, to its end, and never past ``max_body_bytes``:

* a ``Content-Length`` over the limit is a 413 at once, before anything is read;
* a chunked body that runs past the limit is a 413 (never silently cut at the limit, as Werkzeug's
  own limited stream does under gunicorn, which marks its input as terminated);
* a body that ends before its ``Content-Length`` (the client closed, or half-closed, early), or
  whose chunked framing is broken, is a 400; the view never runs, so nothing is written.

Both 413s name the limit in bytes. Werkzeug's development server and gunicorn frame bodies
differently (the first hands over the raw socket for a ``Content-Length`` body, the second a reader
that returns short at end of input and says the input is terminated); reading here, the same way
for both, gives the same answers on every server the project ships.
"""
from __future__ import annotations

import io

from flask import Flask, Request, current_app
from gunicorn.http.errors import ParseException as GunicornFramingError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property

from service.web.errors import ApiError

#: how much one read asks the server for
READ_STEP = 64 * 1024


def too_large(limit: int, declared: int | None = None) -> ApiError:
    """The 413 for a body over ``limit`` bytes (``declared``: its Content-Length, when it has one)."""
    size = f"is {declared} bytes long" if declared is not None else "runs on past the limit"
    return ApiError(413, f"the request body {size}: this server accepts at most {limit} bytes "
                         "(its max_body_bytes setting); send less, or split it", limit=limit)


def _declared_length(environ: dict) -> int | None:
    raw = environ.get("CONTENT_LENGTH", "")
    if raw == "":
        return None
    if not raw.isdigit():  # servers refuse most of these first; a WSGI app must not trust it
        raise ApiError(400, f"the Content-Length header is not a number of bytes: {raw!r}")
    return int(raw)


def _read(stream, wanted: int, received: int) -> bytes:
    try:
        return stream.read(min(READ_STEP, wanted))
    except (OSError, ValueError, GunicornFramingError) as err:
        raise ApiError(400, f"the request body broke off after {received} bytes (its chunked framing is "
                            f"broken, or the connection closed): {err or type(err).__name__}; nothing was done") \
            from None


def read_body(environ: dict, limit: int | None) -> bytes:
    """Return the whole body of the request ``environ`` describes, or raise the 400 or 413."""
    stream = environ["wsgi.input"]
    declared = _declared_length(environ)
    if declared is not None:
        if limit is not None and declared > limit:
            raise too_large(limit, declared)
        body = bytearray()
        while len(body) < declared:
            piece = _read(stream, declared - len(body), len(body))
            if not piece:
                raise ApiError(400, f"the request body ended after {len(body)} of the {declared} bytes its "
                                    "Content-Length declares; nothing was done", received=len(body),
                               declared=declared)
            body += piece
        return bytes(body)
    if not environ.get("wsgi.input_terminated"):
        return b""  # no Content-Length and no chunked framing: WSGI says there is no body
    body = bytearray()
    while True:  # chunked: to its end, one byte past the limit at most, to know it is over
        wanted = READ_STEP if limit is None else limit + 1 - len(body)
        piece = _read(stream, wanted, len(body))
        if not piece:
            return bytes(body)
        body += piece
        if limit is not None and len(body) > limit:
            raise too_large(limit)


class WholeBodyRequest(Request):
    """Flask's request, whose body is read by ``read_body``: whole and exact, or refused."""

    @cached_property
    def stream(self) -> io.BytesIO:  # type: ignore[override]
        return io.BytesIO(read_body(self.environ, self.max_content_length))


def _name_the_limit(error: RequestEntityTooLarge):
    """Werkzeug's own 413s (a form field over its memory limit, say) name the limit too."""
    return too_large(current_app.config["MAX_CONTENT_LENGTH"]).to_response()


def init_app(app: Flask, max_body_bytes: int) -> None:
    """Read every body of ``app`` through ``read_body`` with ``max_body_bytes`` as its one limit."""
    app.request_class = WholeBodyRequest
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    # Werkzeug also limits a url-encoded form to 500 kB by default; one limit, said once, is enough
    app.config["MAX_FORM_MEMORY_SIZE"] = max_body_bytes
    app.register_error_handler(RequestEntityTooLarge, _name_the_limit)
