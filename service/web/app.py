"""lbp-kg: a knowledge-graph service for the musculoskeletal side of low back pain."""
from __future__ import annotations

import logging

from flask import Flask

from service.config import Settings, load_config

__all__ = ["create_app"]


def create_app(config: dict | Settings | None = None) -> Flask:
    """Build the Flask app: settings, the loaded knowledge base, error handlers and blueprints.

    ``config`` is a dict of setting overrides (see service.config.Settings) or a Settings object;
    environment variables ``LBP_KG_*`` apply underneath it.
    """
    settings = config if isinstance(config, Settings) else load_config(config)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app = Flask(__name__)
    app.config.update(settings.as_flask_config())
    app.json.sort_keys = False
    app.extensions["lbp_kg.settings"] = settings

    from service.web import answer_headers, cors, errors, request_body
    from service.curation import admission

    errors.init_app(app)
    request_body.init_app(app, settings.max_body_bytes)
    cors.init_app(app)
    answer_headers.init_app(app)
    app.extensions["lbp_kg"] = admission.load_knowledge(settings)

    from service.web.views import (cases, entities, meta, named_queries, pages, releases, search, sparql,
                                   validate, writes)

    for module in (sparql, named_queries, entities, search, validate, cases, meta, pages, writes, releases):
        module.init_app(app)
    _install_answer_cache(app, settings)
    return app


def _install_answer_cache(app: Flask, settings: Settings) -> None:
    """Put the cache of whole GET answers (service.web.answer_cache) in front of the app, with the
    compression of answers (service.web.compression) between them, so answers are kept compressed."""
    from service.web.answer_cache import AnswerCache
    from service.web.compression import Compression
    from service.web.reload import EXTENSION_KEY as RELOADER

    def notice_other_writers() -> None:
        reloader = app.extensions.get(RELOADER)
        if reloader is not None:
            reloader.check()

    app.wsgi_app = AnswerCache(Compression(app.wsgi_app), version=lambda: app.extensions["lbp_kg"].version,
                               before=notice_other_writers, max_entries=settings.result_cache_entries,
                               max_entry_bytes=settings.result_cache_max_bytes)
