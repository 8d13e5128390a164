"""Run the service: Werkzeug's threaded server for development, gunicorn for production."""
from __future__ import annotations

import logging
import runpy

from service.paths import GUNICORN_CONFIG

#: gunicorn settings used by ``lbp-kg serve --workers`` unless another file is given
DEFAULT_GUNICORN_CONFIG = GUNICORN_CONFIG

log = logging.getLogger(__name__)


def start_query_workers(app) -> None:
    """Start the query workers in the background now, so the first query does not wait for them."""
    from service.web.query_response import query_executor

    with app.app_context():
        query_executor(app.extensions["lbp_kg"]).warm_up()


def serve_development(host: str, port: int) -> None:
    """Serve with Werkzeug's threaded server (one process; fine for a laptop or a classroom)."""
    from service import create_app

    app = create_app()
    start_query_workers(app)
    log.info("lbp-kg listening on http://%s:%d/ (development server)", host, port)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def serve_production(host: str, port: int, workers: int, config_file: str | None = None) -> None:
    """Serve under gunicorn with the given number of worker processes.

    Settings come from ``config_file`` (default: deploy/gunicorn.conf.py); the host, port and
    worker count given here override it.
    """
    from gunicorn.app.base import BaseApplication

    config_file = config_file or (str(DEFAULT_GUNICORN_CONFIG) if DEFAULT_GUNICORN_CONFIG.is_file() else None)

    class _Gunicorn(BaseApplication):
        def load_config(self):
            if config_file:
                for key, value in runpy.run_path(config_file).items():
                    if key in self.cfg.settings and value is not None:
                        self.cfg.set(key, value)
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)

        def load(self):
            from service import create_app

            app = create_app()
            start_query_workers(app)
            return app

    _Gunicorn().run()
