"""The App Home tab: what waits on the user in each relationship they are in, then the relationship at a glance."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps, publish_home
from bot.payloads import home_opened
from commands.events import first_delivery


def register(app: App, deps: Deps) -> None:
    """Listen for app_home_opened."""

    @app.event("app_home_opened")
    def home(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        opened = home_opened(body)
        if opened is None:
            return
        user, event_id = opened
        with deps.unit_of_work() as db:
            if first_delivery(db, event_id=event_id, now=deps.clock()):
                publish_home(db, user=user, key=f"event:{event_id}:home", now=deps.clock())
