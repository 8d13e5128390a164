"""JSON errors everywhere: every failure becomes ``{"error": ..., ...}`` with the right status.

A browser that asked for a page it cannot have (400, 404: a mistyped address, a form sent
empty) gets the same error as a page (templates/error.html), with the same suggestions as links;
programs, which prefer JSON or take anything, get the JSON as before.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from service.store.errors import EndpointFailed, EndpointUnavailable

log = logging.getLogger(__name__)

#: seconds a client is told to wait after a 503
RETRY_AFTER_SECONDS = 5
#: the statuses a browser is shown as a page: those a person can act on by changing the address
HTML_ERROR_STATUSES = frozenset({400, 404})


def prefers_html() -> bool:
    """Tell whether the client prefers a web page to JSON (a browser does; ``*/*`` and programs do not)."""
    return request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html"


class ApiError(Exception):
    """An error a client can act on: a status code, a message and optional details."""

    def __init__(self, status: int, message: str, **details):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details

    def to_response(self):
        response = jsonify({"error": self.message, **self.details})
        response.status_code = self.status
        return response


def _api_error(error: ApiError):
    if error.status in HTML_ERROR_STATUSES and prefers_html():
        return _error_page(error.status, error.message, error.details) or error.to_response()
    return error.to_response()


def _error_page(status: int, message: str, details: dict):
    """Render an error for a browser: what went wrong, and the suggestions as links to their pages.

    Returns None when the page cannot be drawn, and the caller answers with the JSON error.
    """
    base = current_app.extensions["lbp_kg.settings"].base_iri
    choices = []
    for choice in details.get("suggestions") or details.get("candidates") or []:
        if not isinstance(choice, dict):
            continue
        iri = choice.get("iri") or choice.get("id") or ""
        choices.append({"label": choice.get("label") or iri, "kind": choice.get("typeLabel"),
                        "href": f"{request.script_root}/id/{iri[len(base):]}" if iri.startswith(base) else iri})
    # what the address seems to name, to search for instead ("/id/psoas-minr": "psoas minr")
    guess = re.sub(r"[-_]+", " ", request.path.rstrip("/").rsplit("/", 1)[-1]).strip() if status == 404 else ""
    try:
        page = render_template("error.html", status=status, message=message, choices=choices, guess=guess,
                               title="Page not found" if status == 404 else "That request could not be answered")
    except Exception:  # the page needs the knowledge base (footer, links): the JSON error never does
        log.exception("the error page could not be drawn; answering with the JSON error")
        return None
    response = current_app.make_response(page)
    response.status_code = status
    response.vary.add("Accept")
    return response


def _http_error(error: HTTPException):
    page = _error_page(error.code, error.description or error.name, {}) \
        if error.code in HTML_ERROR_STATUSES and prefers_html() else None
    if page is not None:
        return page
    response = jsonify({"error": error.description or error.name, "status": error.code})
    response.status_code = error.code or 500
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _unexpected_error(error: Exception):
    log.exception("unhandled error")
    response = jsonify({"error": "internal error; the server log has the details", "status": 500})
    response.status_code = 500
    return response


def refuse_undecodable_query_string() -> None:
    """Answer 400 when the query string does not percent-decode to UTF-8 (Werkzeug would replace
    the bytes silently, and the request would run with a value the client never sent)."""
    raw = request.query_string.decode("latin-1")
    if "%" not in raw:
        return
    try:
        parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        for pair in raw.split("&"):
            name = pair.split("=", 1)[0]
            try:
                parse_qsl(pair, keep_blank_values=True, encoding="utf-8", errors="strict")
            except UnicodeDecodeError:
                raise ApiError(400, f"the query string parameter {name!r} is not valid UTF-8 once "
                                    "percent-decoded; percent-encode its value as UTF-8") from None


def _engine_error(status: int, retry_after: int | None = None):
    """Answer a remote engine's failure met outside the query path (pages, the label index)."""
    def handle(error: Exception):
        response = jsonify({"error": str(error), "status": status})
        response.status_code = status
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response
    return handle


def init_app(app: Flask) -> None:
    """Register the JSON error handlers, and refuse query strings that are not UTF-8."""
    app.before_request(refuse_undecodable_query_string)
    app.register_error_handler(ApiError, _api_error)
    # the pages query the store themselves: a remote engine's failure there is the engine's, as
    # it is on /sparql (503 down or slow, 502 failed), not an internal error of the service
    app.register_error_handler(EndpointUnavailable, _engine_error(503, RETRY_AFTER_SECONDS))
    app.register_error_handler(EndpointFailed, _engine_error(502))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
