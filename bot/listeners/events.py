"""Events: @accord mentions, handled once per event id whatever Slack retries."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps
from bot.payloads import event_actor, split_command, strip_mentions
from commands import outbox
from commands.events import first_delivery

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    """Listen for app_mention (and acknowledge the message events Accord does not use)."""

    @app.event("app_mention")
    def mention(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        event = body.get("event", {})
        event_id = body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
        actor = event_actor(body)
        name, _rest = split_command(strip_mentions(event.get("text")))
        with deps.unit_of_work() as db:
            if not first_delivery(db, event_id=event_id, now=deps.clock()):
                log.info("event %s already handled; Slack retry ignored", event_id)
                return
            outbox.post_message(
                db, key=f"event:{event_id}:reply", channel=actor.channel_id or "", view="mention_help",
                data={"user": actor.user_id, "asked": name}, thread_ts=event.get("thread_ts") or event.get("ts"),
                now=deps.clock(),
            )

    @app.event("message")
    def ignore_messages(ack: Ack) -> None:
        ack()
