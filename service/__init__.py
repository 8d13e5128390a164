"""lbp-kg: a knowledge-graph service for the musculoskeletal side of low back pain.

The package is layered (docs/architecture.md): ``store`` (backends) <- ``engine`` (running
untrusted SPARQL within limits) <- ``kg`` (the domain's read side) <- ``curation`` (the gate,
validation, writes) <- ``web`` (the only user of Flask) <- ``cli``. ``service:create_app`` is the
WSGI application factory.
"""
from service.web.app import create_app

__all__ = ["create_app"]
