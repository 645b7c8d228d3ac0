"""create_app: the bolt App with Accord's listeners, built from settings (no globals)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.deps import Deps
from bot.distribution import distribution
from bot.identity import BotIdentity
from bot.listeners import (
    charter,
    checkins,
    disputes,
    events,
    home,
    ideas,
    nudges,
    openers,
    plan,
    promises,
    proposals,
    report,
    reviews,
    slash,
    submissions,
    wins,
)
from bot.logs import keep_content_out_of_logs
from bot.settings import Settings
from bot.slack_client import request_path_client
from storage.utc import utcnow

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
    """The bolt App: acks are answered by the handler's own transaction (and a form's views.open, within a hard
    budget: budget_slack_calls), Slack calls by the outbox."""
    keep_content_out_of_logs()
    if settings.distributed:
        app = _distributed_app(settings, client, engine)
    else:
        app = _single_workspace_app(settings, client, identity or BotIdentity(token=client.token))
    deps = Deps(settings=settings, engine=engine, notify_outbox=notify_outbox, clock=clock)
    # bolt tries each listener's matcher in the order registered, until one matches: the slash command first,
    # the rare events (a revoked token) last
    for module in (slash, plan, openers, submissions, checkins, disputes, reviews, wins, proposals, events, home,
                   nudges, charter, ideas, promises, report):
        module.register(app, deps)
    if settings.distributed:
        app.enable_token_revocation_listeners()
    else:
        _log_revocation(app)
    return app


class BudgetSlackCalls(Middleware):
    """Before authorize, as the request comes in: its listeners' `client` becomes a RequestPathClient, so the
    Slack calls made before the ack (views.open) have no retries and end within REQUEST_PATH_BUDGET_SECONDS
    of now, whatever Slack does (authorize then sets the token on it). A Middleware, not a function: bolt calls it
    as it is, without working out its arguments on every request."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        req.context["client"] = request_path_client(req.context.client)
        return next()


def _distributed_app(settings: Settings, client: WebClient, engine: Engine) -> App:
    """OAuth: /slack/install and /slack/oauth_redirect; each request authorised from its installation's stored
    bot (no Slack call); create_app then has app_uninstalled and tokens_revoked delete the organisation's
    installation."""
    oauth = distribution(settings, engine)
    return App(
        # bolt's OAuth flow calls oauth.v2.access with the App's client: at SLACK_API_URL, with no token
        client=WebClient(base_url=client.base_url, timeout=client.timeout, retry_handlers=client.retry_handlers),
        authorize=oauth.authorize,  # type: ignore[arg-type]  # App takes an Authorize as is; its hint names a function
        oauth_settings=oauth.oauth_settings,
        before_authorize=BudgetSlackCalls(),
        signing_secret=settings.signing_secret or "",
        process_before_response=True,
        logger=logging.getLogger("accord.bolt"),
    )


def _single_workspace_app(settings: Settings, client: WebClient, identity: BotIdentity) -> App:
    """One workspace: every request authorised with SLACK_BOT_TOKEN."""
    return App(
        # bolt gets a client without a token so that it authorizes through `identity`:
        # no auth.test on the request path, and a Slack outage cannot fail an ack.
        client=WebClient(base_url=client.base_url, timeout=client.timeout, retry_handlers=client.retry_handlers),
        authorize=identity.authorizer(),
        before_authorize=BudgetSlackCalls(),
        signing_secret=settings.signing_secret or "",
        process_before_response=True,
        logger=logging.getLogger("accord.bolt"),
    )


def _log_revocation(app: App) -> None:
    """One workspace: app_uninstalled and tokens_revoked (the manifest subscribes to them for OAuth distribution)
    are logged."""

    @app.event("app_uninstalled")
    @app.event("tokens_revoked")
    def revoked(event: dict[str, Any]) -> None:
        log.error("Slack says %s: SLACK_BOT_TOKEN no longer works; reinstall Accord and set the new token",
                  event.get("type"))
