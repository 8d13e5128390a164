"""CORS: every read is open to any origin; writes (/update, /graph-store) are not."""
from __future__ import annotations

from flask import Flask, request

#: paths whose requests change data: never opened to other origins
WRITE_PATHS = ("/update", "/graph-store")
#: response headers a browser app on another origin may read
EXPOSED_HEADERS = "ETag, Link, X-LBP-Truncated, X-LBP-Ontology-Version, X-LBP-Graph-Version, X-LBP-Modules, Retry-After"


def _is_read(method: str, path: str) -> bool:
    if path.startswith(WRITE_PATHS):
        return False
    # POST to /sparql and /validate only reads (a query, or data checked and then dropped)
    return method in ("GET", "HEAD", "OPTIONS") or path in ("/sparql", "/validate")


def _add_cors_headers(response):
    if _is_read(request.method, request.path):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


def init_app(app: Flask) -> None:
    """Add CORS headers to every read response."""
    app.after_request(_add_cors_headers)
