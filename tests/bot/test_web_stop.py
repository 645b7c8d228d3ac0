"""Stopping the HTTP server (SIGTERM in `accord serve`): requests under way are answered, and connections Slack
keeps open between requests do not hold the stop for the whole grace period."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from bot.web import HttpServer
from tests import local_http

GRACE = 60.0  # far longer than the test waits: a stop that waited for an idle connection would not finish


def _hello(_environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def test_a_stop_closes_idle_kept_alive_connections_instead_of_waiting_for_them() -> None:
    server = HttpServer(_hello, host="127.0.0.1", port=0, threads=2)
    thread = server.start(grace_seconds=GRACE)
    with local_http.client(base_url=f"http://127.0.0.1:{server.port}") as client:
        assert client.get("/").text == "ok"  # the connection stays open afterwards (keep-alive)
        server.stop(wait=10)
        assert not thread.is_alive(), "the stop waited for an idle connection"


def test_a_stop_answers_the_request_under_way_first() -> None:
    arrived, release = threading.Event(), threading.Event()

    def slow(_environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        arrived.set()
        release.wait(10)
        return _hello(_environ, start_response)

    server = HttpServer(slow, host="127.0.0.1", port=0, threads=2)
    thread = server.start(grace_seconds=GRACE)
    answers: list[str] = []
    with local_http.client(base_url=f"http://127.0.0.1:{server.port}") as client:
        asking = threading.Thread(target=lambda: answers.append(client.get("/").text))
        asking.start()
        assert arrived.wait(10)
        server.stop()
        release.set()
        asking.join(10)
        server.stop(wait=10)
    assert answers == ["ok"] and not thread.is_alive()


def _echo(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = environ["wsgi.input"].read()  # no size: the body, not the connection to its end
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def test_a_body_is_read_to_its_length_and_a_chunked_one_is_refused_with_411() -> None:
    server = HttpServer(_echo, host="127.0.0.1", port=0, threads=2)
    thread = server.start(grace_seconds=GRACE)
    try:
        with local_http.client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
            assert client.post("/", content=b"a=1&b=2").text == "a=1&b=2"
            chunked = client.post("/", content=iter([b"a=1", b"&b=2"]))  # an iterator: sent chunked
            assert chunked.status_code == 411
    finally:
        server.stop(wait=10)
    assert not thread.is_alive()
