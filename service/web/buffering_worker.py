"""A gunicorn worker whose threads only ever see whole requests: slow clients cost no thread.

gunicorn's ``gthread`` worker hands a connection to a thread as soon as its first byte arrives;
the thread then blocks reading the rest of the head and the body. A client that sends one byte a
second holds a thread for as long as it likes, and 2 workers x 4 threads are 8 such clients
(issue 11: 50 of them left 0 of 14 normal requests answered within 1 s).

``BufferingThreadWorker`` keeps gthread's threads and keep-alive, but reads each request in the
worker's event loop (non-blocking, as nginx does in front of an application server) until it
holds the whole head and the whole body, and only then gives it to a thread, whose parser reads
it from memory. A request is handed over early, for the thread to answer at once, when what has
arrived already decides the answer: a ``Content-Length`` over the body limit (413), a chunked body
past it (413), a head too large or malformed (gunicorn's 400/431), the client's end of input
(400 for a short body, see service.web.request_body). A request that has not arrived whole within
``LBP_KG_REQUEST_READ_TIMEOUT`` seconds (30 by default) gets a 408 and its connection closes.
Closing connections are drained in the event loop too, never in a blocking call.

Workers share one listening socket, and whichever is awake accepts: a burst of connections (a
client pool opening 8 at once) could all land on one worker while the other stood idle, and with
the GIL that worker then answered at a third of the pair's rate (measured: 1 run in 10 of wrk
-c8, all 8 connections on one worker, 2,800-3,200 answers a second instead of 8,000-10,000). A
worker that holds more connections than it has threads now steps back from accepting for a few
milliseconds after each new one (``STEP_BACK_SECONDS``), so the other worker takes the rest of
the burst; when every worker is that busy, a new connection waits those milliseconds at most.

The body limit is the app's ``MAX_CONTENT_LENGTH`` (lbp-kg's ``max_body_bytes``). TLS, the PROXY
protocol, uWSGI and HTTP/2 cleartext connections are served exactly as gthread serves them (lbp-kg
ships none of them: TLS belongs to the reverse proxy, see docs/deployment.md). Built on gunicorn's
gthread internals, so gunicorn is pinned (pyproject.toml) and tests/test_slow_clients.py runs a
real server.
"""
from __future__ import annotations

import os
import selectors
import socket
import time
from functools import partial

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

#: seconds a client has to send one whole request (head and body), from its first byte on
REQUEST_READ_TIMEOUT = float(os.environ.get("LBP_KG_REQUEST_READ_TIMEOUT", "30"))
#: bytes one non-blocking read asks for
READ_STEP = 64 * 1024
#: body limit for an app that states none (a bare WSGI function, e.g. the benchmark's floor)
DEFAULT_BODY_LIMIT = 2 * 1024 * 1024
#: seconds and bytes a closing connection is drained for, so the kernel does not reset it
#: before the client has read the answer (what gunicorn's close_graceful does, blocking)
LINGER_SECONDS = 2.0
LINGER_BYTES = 64 * 1024
#: a chunk-size line or trailer section longer than this is refused by gunicorn's parser
MAX_CHUNK_LINE = 8192
MAX_TRAILERS = 8190 * 32
HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")

#: how long a worker holding more connections than threads leaves new ones to the others
STEP_BACK_SECONDS = 0.005

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
REFUSAL = b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"


class RequestFraming:
    """Tell, from the bytes received so far, whether a whole HTTP/1.1 request has arrived.

    It only reads the framing (where the head ends, Content-Length, chunk sizes); gunicorn's
    parser still checks everything. ``decided`` is True when the request is whole (``whole``), or
    when what has arrived is enough for the server to answer without reading more (see the module
    text).
    Scanning resumes where it stopped, so a body of many small chunks is scanned once.
    """

    def __init__(self, body_limit: int, head_limit: int):
        self.body_limit = body_limit
        self.head_limit = head_limit
        self.data = bytearray()
        self.decided = False
        self.whole = False
        #: the head asks for "100 Continue" before the client sends its body (RFC 9110 10.1.1)
        self.expects_continue = False
        self._stage = "head"
        self._pos = 0  # where scanning resumes
        self._end = 0  # with a Content-Length: where the body ends
        self._chunked_total = 0

    def feed(self, data: bytes) -> bool:
        """Add received bytes; return ``decided``."""
        self.data += data
        while not self.decided and self._step():
            pass
        return self.decided

    def _decide(self, whole: bool = False) -> bool:
        self.decided, self.whole = True, whole
        return False

    def _step(self) -> bool:
        """Advance one stage if the bytes allow; False when more bytes are needed (or decided)."""
        data = self.data
        if self._stage == "head":
            while data.startswith(b"\r\n", self._pos):  # RFC 9112 2.2: empty lines before a request
                self._pos += 2
            end = data.find(b"\r\n\r\n", self._pos)
            if end < 0:
                return self._decide() if len(data) - self._pos > self.head_limit else False
            return self._read_head(bytes(data[self._pos:end]), end + 4)
        if self._stage == "length":
            return self._decide(whole=True) if len(data) >= self._end else False
        if self._stage == "chunk-size":
            line_end = data.find(b"\r\n", self._pos)
            if line_end < 0:
                return self._decide() if len(data) - self._pos > MAX_CHUNK_LINE else False
            size_text = bytes(data[self._pos:line_end]).split(b";", 1)[0].rstrip(b" \t")
            if not size_text or not HEX_DIGITS.issuperset(size_text):
                return self._decide()  # the parser answers 400
            size = int(size_text, 16)
            self._pos = line_end + 2
            if size == 0:
                self._stage = "trailers"
                return True
            self._chunked_total += size
            if self._chunked_total > self.body_limit:
                return self._decide()  # the app reads to the limit and answers 413
            self._pos += size + 2  # the chunk and its CRLF
            self._stage = "chunk-data"
            return True
        if self._stage == "chunk-data":
            if len(data) < self._pos:
                return False
            self._stage = "chunk-size"
            return True
        # trailers: none (an empty line), or header lines up to an empty line
        if data.startswith(b"\r\n", self._pos) or data.find(b"\r\n\r\n", self._pos) >= 0:
            return self._decide(whole=True)
        return self._decide() if len(data) - self._pos > MAX_TRAILERS else False

    def _read_head(self, head: bytes, body_start: int) -> bool:
        lengths, codings = [], []
        request_line, *fields = head.split(b"\r\n")
        for line in fields:
            name, colon, value = line.partition(b":")
            if not colon:
                return self._decide()  # malformed: the parser answers
            name = name.lower()
            if name == b"content-length":
                lengths.append(value.strip())
            elif name == b"transfer-encoding":
                codings.append(value.strip().lower())
            elif name == b"expect":
                self.expects_continue = value.strip().lower() == b"100-continue" and \
                    request_line.endswith(b" HTTP/1.1")
        if codings:
            if lengths or not codings[-1].endswith(b"chunked"):
                return self._decide()  # both framings, or not chunked last: the parser refuses it
            self._stage, self._pos = "chunk-size", body_start
            return True
        if not lengths:
            return self._decide(whole=True)  # no body
        if len(lengths) > 1 or not lengths[0].isdigit():
            return self._decide()  # the parser refuses it
        length = int(lengths[0])
        if length > self.body_limit:
            return self._decide()  # the app answers 413 without reading it
        self._stage, self._end = "length", body_start + length
        return True


class BufferingThreadWorker(ThreadWorker):
    """gthread, with every request read whole in the event loop before a thread serves it."""

    #: until when (time.monotonic) this worker leaves new connections to the others
    stepping_back_until = 0.0

    @property
    def worker_connections(self) -> int:
        """The connections this worker may hold now: gthread's limit, or none more while it steps back.

        gthread's loop stops accepting while ``nr_conns`` reaches this number.
        """
        if time.monotonic() < self.stepping_back_until:
            return self.nr_conns
        return self._worker_connections

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._worker_connections = value

    def wait_for_and_dispatch_events(self, timeout):
        # wake up when the step back ends, to accept again (gthread's loop waits up to a second)
        remaining = self.stepping_back_until - time.monotonic()
        super().wait_for_and_dispatch_events(min(timeout, remaining) if remaining > 0 else timeout)

    def init_process(self):
        self.arriving = {}  # connection -> its RequestFraming, oldest first (so by deadline)
        self.lingering = {}  # closing connection -> when to stop draining it
        self.stopping_since = None
        self.buffers_requests = (not self.cfg.is_ssl and self.cfg.proxy_protocol in ("off", None, False)
                                 and getattr(self.cfg, "protocol", "http") == "http")
        super().init_process()

    def run(self):
        config = getattr(self.wsgi, "config", None) or {}
        self.body_limit = config.get("MAX_CONTENT_LENGTH") or DEFAULT_BODY_LIMIT
        self.head_limit = (self.cfg.limit_request_line or 8190) + \
            (self.cfg.limit_request_fields or 100) * ((self.cfg.limit_request_field_size or 8190) + 2)
        super().run()

    def _buffers(self, conn) -> bool:
        return self.buffers_requests and not negotiation.prior_knowledge_allowed(self.cfg, conn.client)

    # --- connections arrive (main thread) ---------------------------------------------------

    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
        except (BlockingIOError, ConnectionAbortedError, InterruptedError):
            return  # another worker took it, or the client gave up: as gthread
        self.nr_conns += 1
        if self.nr_conns > self.cfg.threads:  # busier than its threads: let another worker take the next
            self.stepping_back_until = time.monotonic() + STEP_BACK_SECONDS
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())  # non-blocking
        if self._buffers(conn):
            self._await_request(conn, b"")
        else:
            client_sock.setblocking(True)
            self.enqueue_req(conn)

    def on_client_socket_readable(self, conn, client):
        if not self._buffers(conn):
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_request(conn, b"")

    def _await_request(self, conn, already: bytes) -> None:
        """Read the connection's next request in the event loop; hand it to a thread once decided."""
        framing = RequestFraming(self.body_limit, self.head_limit)
        conn.read_deadline = time.monotonic() + REQUEST_READ_TIMEOUT
        conn.continued = False
        conn.sock.setblocking(False)
        if already and framing.feed(already):
            return self._hand_over(conn, framing)
        self.arriving[conn] = framing
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._receive, conn))
        self._continue_if_asked(conn, framing)

    @staticmethod
    def _continue_if_asked(conn, framing: RequestFraming) -> None:
        """Say "100 Continue" to a client waiting for it to send its body (curl waits 1 s otherwise);
        gunicorn would only say it once the thread has the request, which needs the body first."""
        if framing.expects_continue and not conn.continued:
            conn.continued = True
            try:
                conn.sock.send(CONTINUE)
            except OSError:
                pass  # the next read finds the connection gone

    def _receive(self, conn, _sock) -> None:
        framing = self.arriving[conn]
        try:
            data = conn.sock.recv(READ_STEP)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return self._drop(conn)
        if not data:  # the client's end of input
            if not framing.data:
                return self._drop(conn)
            return self._hand_over(conn, framing)  # the thread answers the cut request (400)
        if framing.feed(data):
            self._hand_over(conn, framing)
        else:
            self._continue_if_asked(conn, framing)

    def _hand_over(self, conn, framing: RequestFraming) -> None:
        if self.arriving.pop(conn, None) is not None:
            self.poller.unregister(conn.sock)
        conn.received = bytes(framing.data)
        conn.received_whole = framing.whole
        conn.data_ready = True  # gthread's wait for a first byte is done
        self.enqueue_req(conn)

    def _drop(self, conn) -> None:
        if self.arriving.pop(conn, None) is not None:
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        """Also answer 408 to requests past their read deadline, and stop lingering closes.

        gthread calls this once per turn of its loop (at least every second), also while stopping.
        """
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self.stopping_since is None:
            self.stopping_since = now
        # a stopping worker waits STOP_KEEPALIVE_LINGER for requests still arriving, as gthread
        # does for kept-alive connections, not their whole read timeout
        cap = self.stopping_since + STOP_KEEPALIVE_LINGER if self.stopping_since is not None else now + 1
        for conn, framing in list(self.arriving.items()):
            if min(conn.read_deadline, cap) > now:
                break  # oldest first: the others are not due either
            if framing.data:
                self._send_refusal(conn, restarting=conn.read_deadline > now)
            self._drop(conn)
        for conn, until in list(self.lingering.items()):
            if until > now:
                break
            self._stop_lingering(conn)

    @staticmethod
    def _send_refusal(conn, restarting: bool) -> None:
        """Answer a request that will not be served: 408 (too slow), or 503 (this worker is stopping)."""
        if restarting:
            status, message = b"503 Service Unavailable", b"this server process is restarting; send the request again"
        else:
            status, message = b"408 Request Timeout", b"the request did not arrive whole within %d seconds; " \
                b"send it faster" % REQUEST_READ_TIMEOUT
        body = b'{"error":"%s","status":%s}' % (message, status[:3])
        try:
            conn.sock.send(REFUSAL % (status, len(body), body))
        except OSError:
            pass  # the answer is a courtesy; the connection closes either way

    # --- a thread serves the request ----------------------------------------------------------

    def handle(self, conn):
        received = getattr(conn, "received", None)
        if received is not None:
            conn.received = None
            conn.sock.setblocking(True)
            conn.init()  # a plain HTTP/1 parser over the socket: no I/O
            conn.parser.unreader.unread(received)
        return super().handle(conn)

    def handle_request(self, req, conn):
        if getattr(conn, "continued", False):
            req._expected_100_continue = False  # said already, by _continue_if_asked
        return super().handle_request(req, conn)

    def _keepalive_after(self, conn, keepalive):
        """Close after answering a request handed over before it was whole (a 413, a 400, a client
        gone): gthread would drain the rest in this thread, for up to 5 s of a slow client."""
        if not getattr(conn, "received_whole", True):
            return False
        return super()._keepalive_after(conn, keepalive)

    # --- after the answer (main thread) -------------------------------------------------------

    def finish_request(self, conn, fs):
        if not self._buffers(conn):
            return super().finish_request(conn, fs)
        try:
            keep_alive = bool(fs.result()) if not fs.cancelled() else False
        except Exception:  # noqa: BLE001 - as gthread: the connection just closes
            keep_alive = False
        if not keep_alive:
            return self._linger(conn)
        if self.alive and conn.parser is not None and conn.parser.unreader.buf.getvalue():
            # the client pipelined its next request, or part of it: read the rest here
            return self._await_request(conn, conn.parser.unreader.take_buffered())
        return super().finish_request(conn, fs)

    def _linger(self, conn) -> None:
        """Close after the answer without resetting it: FIN, then drain what the client still sends."""
        self.nr_conns -= 1
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            conn.close()
            return
        conn.drained = 0
        self.lingering[conn] = time.monotonic() + LINGER_SECONDS
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))

    def _drain(self, conn, _sock) -> None:
        try:
            data = conn.sock.recv(READ_STEP)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        conn.drained += len(data)
        if not data or conn.drained >= LINGER_BYTES:
            self._stop_lingering(conn)

    def _stop_lingering(self, conn) -> None:
        if self.lingering.pop(conn, None) is not None:
            self.poller.unregister(conn.sock)
        conn.close()
