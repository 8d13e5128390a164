"""The floor the service's throughput is compared with: a Flask hello-world.

Served under the same gunicorn settings (deploy/gunicorn.conf.py) as lbp-kg, it measures what
gunicorn, Flask and the HTTP client cost on this machine when the handler does no work, so the
service's figures can be read as a fraction of the best any Flask app could do here.
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

