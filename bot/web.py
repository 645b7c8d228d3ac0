"""The WSGI application: POST /slack/events for every Slack request, GET /healthz, and with OAuth distribution
GET /slack/install and GET /slack/oauth_redirect."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.engine import Engine
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server

from storage.engine import reading
from storage.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
QUEUE_WARNING_SECONDS = 10.0  # waitress's "Task queue depth" warning, at most once in this long
EVENTS_PATH = "/slack/events"

StartResponse = Callable[..., Any]


def health(engine: Engine) -> tuple[int, dict[str, Any]]:
    """200 with the schema revision when the database answers, 503 when it does not."""
    head = head_revision()
    try:
        with reading(engine) as db:
            db.exec(text("SELECT 1"))  # type: ignore[call-overload]
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


def make_wsgi(app: App, engine: Engine) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
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
                return _reply(start_response, 413, {"error": "request body too large"})
            return slack(environ, start_response)
        return _reply(start_response, 404, {"error": "not found"})

    return wsgi


class _NowAndThen(logging.Filter):
    """Lets one record through every `seconds` (waitress warns "Task queue depth is N" at each request
    queued while all threads are busy: under load, a line written for every request)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds, self._next = seconds, 0.0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.seconds
        return True


class _Channel(HTTPChannel):
    """waitress's connection, except that the loop does not ask to write while a task is writing.

    A task appends its answer to the output buffer and sends it itself, holding the buffer's lock (and
    wakes the loop if anything is left). waitress's loop meanwhile finds the connection writable, fails
    to take the lock, and asks again at once: under load it spun, taking the GIL from the very task that
    held the lock (measured: most of a core, and the acknowledgements of 50 concurrent requests 5 times
    slower).
    """

    def writable(self) -> bool:
        if self.requests and self.total_outbufs_len and not (self.will_close or self.close_when_flushed):
            if not self.outbuf_lock.acquire(False):
                return False  # a task holds it: it flushes, or pulls the trigger when it leaves data behind
            self.outbuf_lock.release()
        return bool(super().writable())


class HttpServer:
    """waitress on its own loop, so a stop request (SIGTERM, a test) ends it cleanly."""

    def __init__(self, wsgi: Callable[..., Iterable[bytes]], *, host: str, port: int, threads: int = 8) -> None:
        self._server = create_server(wsgi, host=host, port=port, threads=threads, ident="accord")
        self._server.channel_class = _Channel  # type: ignore[union-attr]
        queue_log = logging.getLogger("waitress.queue")
        if not any(isinstance(f, _NowAndThen) for f in queue_log.filters):
            queue_log.addFilter(_NowAndThen(QUEUE_WARNING_SECONDS))
        self._stop = threading.Event()
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve(self, *, grace_seconds: float = 10.0) -> None:
        """Serve until stop(); then refuse new connections and finish the requests under way."""
        server = self._server
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=0.1, map=server._map, count=1)  # type: ignore[union-attr]
            # Close only the listening socket: the trigger stays, so requests under way can still
            # wake the loop to send their answers.
            wasyncore.dispatcher.close(server)  # type: ignore[arg-type]
            deadline = time.monotonic() + grace_seconds
            while self._open_connections() and time.monotonic() < deadline:
                self._close_idle_connections()
                wasyncore.loop(timeout=0.05, map=server._map, count=1)  # type: ignore[union-attr]
            server.task_dispatcher.shutdown(timeout=grace_seconds)  # type: ignore[union-attr]
        finally:
            server.trigger.close()  # type: ignore[union-attr]
            wasyncore.close_all(server._map)  # type: ignore[union-attr]
            self._stopped.set()

    def _close_idle_connections(self) -> None:
        """Close the kept-alive connections with no request under way, as waitress's own idle timeout does:
        Slack keeps its connections open between requests, and a stop must not wait the grace out for them."""
        for channel in list(self._server.active_channels.values()):  # type: ignore[union-attr]
            if not (channel.requests or channel.request or channel.total_outbufs_len):
                channel.will_close = True

    def _open_connections(self) -> int:
        """Client connections still open (the map also holds waitress's own trigger)."""
        server = self._server
        return sum(1 for item in server._map.values() if item is not server.trigger)  # type: ignore[union-attr]

    def start(self, *, grace_seconds: float = 10.0) -> threading.Thread:
        """Serve in a daemon thread (tests and the demo)."""
        thread = threading.Thread(target=self.serve, kwargs={"grace_seconds": grace_seconds}, name="accord-http",
                                  daemon=True)
        thread.start()
        return thread

    def stop(self, *, wait: float | None = None) -> None:
        """Ask the loop to stop; with `wait`, block until it has."""
        self._stop.set()
        if wait is not None:
            self._stopped.wait(wait)
