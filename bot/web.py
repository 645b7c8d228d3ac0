"""The WSGI application: POST /slack/events for every Slack request, GET /healthz, and with OAuth distribution
GET /slack/install and GET /slack/oauth_redirect."""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

import cheroot.wsgi
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.engine import reading
from storage.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
DISCARD_LIMIT = 16 * MAX_BODY_BYTES  # an oversize body up to this long is read (and dropped) before the 413;
# a longer one cheroot refuses itself (its own 413), without reading it
LOOP_SECONDS = 0.05  # the serving loop's wake-up: a stop takes about this long, whatever else is idle
SOCKET_TIMEOUT_SECONDS = 30  # a client silent this long (mid-request, or idle between kept-alive requests) is cut off
KEEP_ALIVE_LIMIT = 512  # idle kept-alive connections at most; past it an answer closes its connection
LISTEN_BACKLOG = 1024
EVENTS_PATH = "/slack/events"

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def health(engine: Engine) -> tuple[int, dict[str, Any]]:
    """200 with the schema revision when the database answers, 503 when it does not."""
    head = head_revision()
    try:
        with reading(engine) as db:
            db.connection().execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        return 503, {"status": "error", "database": "unreachable", "schema_revision": None, "schema_head": head}
    return 200, {
        "status": "ok",
        "database": "ok",
        "schema_revision": revision,
        "schema_head": head,
        "schema_current": revision == head,
    }


def _reply(start_response: StartResponse, status: int, body: dict[str, Any]) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    reasons = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
               411: "Length Required", 503: "Service Unavailable"}
    start_response(f"{status} {reasons.get(status, '')}".strip(),
                   [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def make_wsgi(app: App, engine: Engine) -> Wsgi:
    """Route requests to bolt or to the health check; refuse oversize bodies before reading them."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    # OAuth distribution only: the install link and Slack's redirect back (bolt's adapter serves both on GET)
    oauth_paths = {app.oauth_flow.install_path, app.oauth_flow.redirect_uri_path} if app.oauth_flow else set()

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path in oauth_paths:
            if method != "GET":
                return _reply(start_response, 405, {"error": "method not allowed"})
            return slack(environ, start_response)
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return _reply(start_response, 405, {"error": "method not allowed"})
            status, body = health(engine)
            return _reply(start_response, status, body)
        if path == EVENTS_PATH:
            if method != "POST":
                return _reply(start_response, 405, {"error": "method not allowed"})
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return _reply(start_response, 411, {"error": "length required"})
            if length > MAX_BODY_BYTES:
                _drain(environ["wsgi.input"])
                return _reply(start_response, 413, {"error": "request body too large"})
            return slack(environ, start_response)
        return _reply(start_response, 404, {"error": "not found"})

    return wsgi


def _drain(body: BinaryIO) -> None:
    """Read and drop a body the application refuses: a connection closed with data unread is reset, and the
    client would lose the answer. cheroot bounds the read to the body (Content-Length, or the chunked body
    up to DISCARD_LIMIT)."""
    try:
        while body.read(64 * 1024):
            pass
    except Exception as exc:  # the client went away, stalled past the socket timeout, or sent over DISCARD_LIMIT
        log.debug("refused body left unread: %s", type(exc).__name__)


def _refusing_chunked(wsgi: Callable[..., Iterable[bytes]]) -> Wsgi:
    """A chunked body (Slack always sends Content-Length; the size checks need one) is refused with 411."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_TRANSFER_ENCODING"):
            _drain(environ["wsgi.input"])  # so that the kept-alive connection's next request starts clean
            return _reply(start_response, 411, {"error": "length required"})
        return wsgi(environ, start_response)

    return app


def _settle_heap() -> None:
    """Move the objects start-up made (modules, the app, dateparser's data: 130,000 to 240,000 of them) out of the
    cyclic garbage collector's sight (gc.freeze), once, before serving. Requests leave reference cycles behind
    (bolt's context, SQLAlchemy's) that reach the oldest generation; each collection of it went over the whole
    heap, 86 to 101 ms with the GIL held on the benchmark's machine, stalling every request under way (the
    acknowledgement benchmark's p99 and sustained rate). Frozen objects are never collected: nothing start-up made
    is garbage by then."""
    gc.collect()
    gc.freeze()


class HttpServer:
    """The WSGI application served by cheroot: `threads` worker threads, kept-alive (HTTP/1.1) connections.

    A stop (SIGTERM, a test) closes the listening socket and the idle kept-alive connections, answers the
    requests under way for up to the grace period (cheroot's `shutdown_timeout`), then `serve` returns. The
    socket is bound on first use (`port`, `serve`, `start`): cheroot's worker threads, started then, are not
    daemon threads, and a server built but never served must not keep the process alive."""

    def __init__(self, wsgi: Callable[..., Iterable[bytes]], *, host: str, port: int, threads: int = 8) -> None:
        self._server = cheroot.wsgi.Server((host, port), _refusing_chunked(wsgi), numthreads=threads,
                                           request_queue_size=LISTEN_BACKLOG, timeout=SOCKET_TIMEOUT_SECONDS,
                                           shutdown_timeout=10)
        self._server.max_request_body_size = DISCARD_LIMIT
        self._server.keep_alive_conn_limit = KEEP_ALIVE_LIMIT
        # how often the serving loop wakes to expire idle connections (cheroot's default 0.5 s): a stop waits for
        # the loop's next wake, so this bounds how long a stop takes
        self._server.expiration_interval = LOOP_SECONDS
        self._lock = threading.Lock()  # binding and stopping, one at a time
        self._bound = self._serving = False
        self._stopping, self._halted, self._stopped = threading.Event(), threading.Event(), threading.Event()

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        if not self._bound:
            self._bind()
        return int(self._server.bind_addr[1])

    def serve(self, *, grace_seconds: float = 10.0, settle_heap: bool = True) -> None:
        """Serve until stop(); then refuse new connections and finish the requests under way, for up to
        `grace_seconds`. `settle_heap`: first put what start-up built out of the garbage collector's way (the
        serving process's; not a test's, see `start`)."""
        if settle_heap:
            _settle_heap()
        self._server.shutdown_timeout = grace_seconds
        try:
            if self._bind(serving=True):
                self._server.serve()  # returns once stop() has ended its loop
        finally:
            self.stop()  # idempotent: here for an error that ended the loop
            if not self._halted.wait(grace_seconds + 2.0):
                log.warning("stopped with requests still under way after %.0f s", grace_seconds)
            self._stopped.set()

    def start(self, *, grace_seconds: float = 10.0) -> threading.Thread:
        """Serve in a daemon thread (tests and the demo)."""
        self._bind(serving=True)  # here, so that `port` answers as soon as this returns
        thread = threading.Thread(target=self.serve, kwargs={"grace_seconds": grace_seconds, "settle_heap": False},
                                  name="accord-http", daemon=True)
        thread.start()
        return thread

    def stop(self, *, wait: float | None = None) -> None:
        """Ask the server to stop (safe from a signal handler on the serving thread); with `wait`, block until
        it has finished the requests under way."""
        if not self._stopping.is_set():
            self._stopping.set()
            # cheroot's stop() waits for the serving loop to end: from another thread, as the caller may be serving
            threading.Thread(target=self._halt, name="accord-http-stop", daemon=True).start()
        if wait is not None:
            self._stopped.wait(wait)

    def _bind(self, *, serving: bool = False) -> bool:
        """Bind the socket and start the worker threads, once; False once a stop has been asked for."""
        with self._lock:
            if self._stopping.is_set():
                return False
            if not self._bound:
                self._server.prepare()
                self._bound = True
            self._serving = self._serving or serving
            return True

    def _halt(self) -> None:
        with self._lock:
            self._server.stop()  # no-op if never bound
            if not self._serving:
                self._stopped.set()
        self._halted.set()
