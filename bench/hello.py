"""The floors the service's throughput is compared with: a Flask hello-world and a bare WSGI app.

Served under the same gunicorn settings (deploy/gunicorn.conf.py) as lbp-kg, the Flask app
measures what gunicorn, Flask and the HTTP client cost on this machine when the handler does no
work, so the service's figures can be read as a fraction of the best any Flask app could do here.
The bare WSGI app does without Flask, as lbp-kg's answer cache does when it replays an answer in
front of Flask: it is the best any app under gunicorn could do, the ceiling of a replayed answer.
"""
from __future__ import annotations

from flask import Flask, jsonify


def create_app() -> Flask:
    """Build an app whose /hello answers a small JSON document at once."""
    app = Flask(__name__)

    @app.get("/hello")
    def hello():
        return jsonify(hello="world")

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app


_BARE_BODY = b'{"hello":"world"}'
_BARE_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(_BARE_BODY)))]


def bare_app(environ: dict, start_response) -> list[bytes]:
    """Answer every request with a tiny JSON document, without any framework."""
    start_response("200 OK", list(_BARE_HEADERS))
    return [_BARE_BODY]
