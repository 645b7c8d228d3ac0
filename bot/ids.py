"""Action, block and callback ids shared by the view builders and the listeners."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    """Metadata event types Accord writes on its own messages."""

    OUTBOX = "accord_outbox"


class Callback(StrEnum):
    """Modal callback ids."""

    SETUP = "rmp.setup"
    PLAN_FORM = "rmp.form"
    CANNOT_COMPLETE = "rmp.cannot_complete"
    CHECKIN_ANSWER = "checkin.answer"
    CHECKIN_SETTINGS = "checkin.settings"


class Act(StrEnum):
    """Button action ids; a button's value carries the channel and, where needed, a form or number."""

    JOIN = "rmp.join"
    OPEN_FORM = "rmp.open_form"
    ACTION_DONE = "rmp.action_done"
    ACTION_CANNOT = "rmp.action_cannot"
    STATUS = "rmp.status"
    CHECKIN_OPEN = "checkin.open"
