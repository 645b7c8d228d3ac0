"""The App Home tab: each relationship the user is in, with buttons to the forms."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps
from bot.views import rmp as views
from commands import outbox
from commands.events import first_delivery
from commands.rmp.status import statuses_for_user


def register(app: App, deps: Deps) -> None:
    """Listen for app_home_opened."""

    @app.event("app_home_opened")
    def home(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        ack()
        if event.get("tab", "home") != "home":
            return
        user, event_id = event.get("user", ""), body.get("event_id") or f"home:{event.get('event_ts')}"
        with deps.unit_of_work() as db:
            if not first_delivery(db, event_id=event_id, now=deps.clock()):
                return
            statuses = statuses_for_user(db, user_id=user, now=deps.clock())
            outbox.publish_home(db, key=f"event:{event_id}:home", user=user,
                                data={"view": views.home_view(statuses)}, now=deps.clock())
