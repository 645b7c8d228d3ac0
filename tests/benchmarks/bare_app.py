"""The bare bolt app the acknowledgement benchmark holds Accord against.

A slack_bolt App with process_before_response=True whose /accord command only acks, authorised
without calling Slack (as Accord is), served by the same server as `accord serve`: bot.web.HttpServer
(8 threads) on POST /slack/events, with GET /healthz. Run as its own process:

    SLACK_SIGNING_SECRET=... python -m tests.benchmarks.bare_app --port 3001
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.runtime import HTTP_THREADS
from bot.web import EVENTS_PATH, HttpServer

StartResponse = Callable[..., Any]


def create_bare_app(signing_secret: str) -> App:
    """The bare app: /accord answers a bare ack."""

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-bare",  # noqa: S106
                               bot_user_id="UBARE", bot_id="BBARE")

    app = App(client=WebClient(), authorize=authorize, signing_secret=signing_secret,
              process_before_response=True, logger=logging.getLogger("bare.bolt"))

    @app.command("/accord")
    def accord(ack: Ack) -> None:
        ack()

    return app


def make_wsgi(app: App) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            body = json.dumps({"status": "ok"}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return wsgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = HttpServer(make_wsgi(create_bare_app(os.environ["SLACK_SIGNING_SECRET"])), host=args.host,
                        port=args.port, threads=HTTP_THREADS)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    server.serve()


if __name__ == "__main__":
    main()
