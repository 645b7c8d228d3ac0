"""create_app: the bolt App with Accord's listeners, built from settings (no globals)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.deps import Deps
from bot.identity import BotIdentity
from bot.listeners import checkins, disputes, events, forms, home, plan, reviews, slash
from bot.settings import Settings
from storage.clock import utcnow

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    client: WebClient,
    *,
    engine: Engine,
    notify_outbox: Callable[[], None] = lambda: None,
    identity: BotIdentity | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> App:
    """The bolt App: acks are answered by the handler's own transaction, Slack calls by the outbox."""
    identity = identity or BotIdentity(token=client.token)
    app = App(
        # bolt gets a client without a token so that it authorizes through `identity`:
        # no auth.test on the request path, and a Slack outage cannot fail an ack.
        client=WebClient(base_url=client.base_url, timeout=client.timeout, retry_handlers=client.retry_handlers),
        authorize=identity.authorizer(),
        signing_secret=settings.signing_secret or "",
        process_before_response=True,
        logger=logging.getLogger("accord.bolt"),
    )
    deps = Deps(settings=settings, engine=engine, notify_outbox=notify_outbox, clock=clock)
    for module in (slash, plan, forms, checkins, disputes, reviews, events, home):
        module.register(app, deps)
    return app
