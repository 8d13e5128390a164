"""gunicorn settings for lbp-kg in production (and for its benchmark).

Use: ``gunicorn -c deploy/gunicorn.conf.py 'service:create_app()'`` (``lbp-kg serve --workers N``
passes this file too). Every value can be overridden on the command line or through the
``LBP_KG_BIND``, ``LBP_KG_WORKERS``, ``LBP_KG_THREADS`` and ``LBP_KG_PRELOAD`` variables;
``LBP_KG_REQUEST_READ_TIMEOUT`` is read by the worker class (see below).
"""
import os

# Loopback by default: put a reverse proxy (TLS, caching, rate limits) in front for the world.
bind = os.environ.get("LBP_KG_BIND", "127.0.0.1:5000")

# One process per core. Each worker holds its own copy of the knowledge base (see preload_app).
workers = int(os.environ.get("LBP_KG_WORKERS", "2"))

# gthread: a few threads per worker keep HTTP keep-alive connections open, so a client does not
# pay a TCP handshake per request (the sync worker closes every connection after one response).
# pyoxigraph releases the GIL while it evaluates, but each request's Python work holds it, so
# parallelism comes mostly from the number of workers.
#
# Slow clients: plain gthread gives a connection to a thread at its first byte, and the thread
# blocks until the request has arrived, so 8 clients sending a byte a second hold all 2 x 4
# threads (issue 11: 50 of them left 0 of 14 normal requests answered within 1 s). This worker is
# gthread whose event loop reads each request whole (head and body, up to max_body_bytes) before a
# thread sees it, answers 408 to one not arrived whole within LBP_KG_REQUEST_READ_TIMEOUT seconds
# (default 30) and drains closing connections without blocking. Chosen over the gevent/eventlet
# workers (monkey-patching would put pyoxigraph's GIL-free evaluation and the query worker
# processes on one event loop) and over an ASGI worker with a WSGI adapter (a second server stack,
# slower per request); measured in tests/test_slow_clients.py and by ``python -m bench.slow_clients``
# (docs/security-http.md has the figures). A reverse proxy that buffers requests (nginx does by
# default) protects plain gthread too.
worker_class = "service.web.buffering_worker.BufferingThreadWorker"
threads = int(os.environ.get("LBP_KG_THREADS", "4"))
keepalive = 5

# A request may run a SPARQL query for up to the service's query_timeout (10 s by default, after
# which it answers 503); the worker timeout must be longer so gunicorn never kills a worker that is
# still about to answer. Loading a large extension happens before the worker serves, and gthread
# workers heartbeat from their main loop, which only starts after the app is built: allow for it.
timeout = 120
graceful_timeout = 30

# preload_app=False: every worker builds its own app. With preload the knowledge base would be
# loaded once in the master and shared copy-on-write, but create_app may start threads or query
# worker processes (service.engine.executor) that do not survive fork(), and Python's reference counting
# dirties the shared rdflib pages anyway. Set LBP_KG_PRELOAD=1 to try it.
preload_app = os.environ.get("LBP_KG_PRELOAD", "0").lower() in ("1", "true", "yes", "on")

# Worker recycling is off by default: a new worker reloads the whole knowledge base. Set
# LBP_KG_MAX_REQUESTS to recycle (with jitter, so workers do not restart together) if a leak shows.
max_requests = int(os.environ.get("LBP_KG_MAX_REQUESTS", "0"))
max_requests_jitter = max(max_requests // 10, 0)

accesslog = os.environ.get("LBP_KG_ACCESS_LOG") or None  # off unless asked: it costs throughput
errorlog = "-"
loglevel = os.environ.get("LBP_KG_GUNICORN_LOG_LEVEL", "info")

# gunicorn's control socket lives at one fixed path per user, so two servers on one machine (the
# benchmark runs several) would fight over it; lbp-kg does not use it.
control_socket_disable = True


def post_worker_init(worker):
    """Start this worker's query processes in the background, so the first client query does not
    wait ~1 s for the fork server."""
    from service.web.serving import start_query_workers

    if "lbp_kg" in getattr(worker.wsgi, "extensions", {}):  # the lbp-kg app, not another one run with this file
        start_query_workers(worker.wsgi)
