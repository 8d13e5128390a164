"""A worker holding more connections than threads leaves the next ones to the other workers.

gunicorn's workers share one listening socket and whichever is awake accepts, so a burst of
connections could all land on one worker while another stood idle (with the GIL, a third of the
pair's rate: see service/web/buffering_worker.py and bench/RESULTS-layers.md). The worker steps
back from accepting for ``STEP_BACK_SECONDS`` after each connection beyond its thread count.
"""
from __future__ import annotations

import logging
import selectors
import socket
import time

import pytest
from gunicorn.config import Config

from service.web.buffering_worker import STEP_BACK_SECONDS, BufferingThreadWorker

THREADS = 2


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


@pytest.fixture
def worker(listener):
    """The worker's accepting side, as its event loop sets it up (no threads, no app)."""
    cfg = Config()
    cfg.set("threads", THREADS)
    built = BufferingThreadWorker(0, 0, [listener], None, 30, cfg, logging.getLogger(__name__))
    built.arriving, built.lingering, built.buffers_requests = {}, {}, True
    built.poller, built.body_limit, built.head_limit = selectors.DefaultSelector(), 1024, 8192
    yield built
    for conn in list(built.arriving):
        conn.sock.close()
    built.poller.close()
    built.method_queue.close()
    built.tmp.close()  # the heartbeat file every gunicorn worker opens


def test_a_worker_stops_accepting_for_a_moment_once_it_holds_more_connections_than_threads(worker, listener):
    clients = [socket.create_connection(listener.getsockname()) for _ in range(THREADS + 1)]
    time.sleep(0.05)  # the connections are queued on the listener
    held = []
    for _ in clients:
        worker.accept(listener)
        held.append(worker.nr_conns < worker.worker_connections)  # what gthread's loop asks before accepting
    assert held == [True] * THREADS + [False]
    time.sleep(STEP_BACK_SECONDS * 2)
    assert worker.nr_conns < worker.worker_connections == Config().worker_connections
    for client in clients:
        client.close()


def test_while_stepping_back_the_event_loop_wakes_up_to_accept_again(worker):
    worker.stepping_back_until = time.monotonic() + STEP_BACK_SECONDS
    started = time.monotonic()
    worker.wait_for_and_dispatch_events(timeout=1.0)  # gthread waits up to a second for events
    assert time.monotonic() - started < 0.5
