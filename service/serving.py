"""Run the service: Werkzeug's threaded server for development, gunicorn for production."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def serve_development(host: str, port: int) -> None:
    """Serve with Werkzeug's threaded server (one process; fine for a laptop or a classroom)."""
    from service import create_app

    app = create_app()
    log.info("lbp-kg listening on http://%s:%d/ (development server)", host, port)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def serve_production(host: str, port: int, workers: int, config_file: str | None = None) -> None:
    """Serve under gunicorn with the given number of worker processes."""
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):
        def load_config(self):
            if config_file:
                self.load_config_from_file(config_file)
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)

        def load(self):
            from service import create_app

            return create_app()

    _Gunicorn().run()
