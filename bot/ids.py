"""Action, block and callback ids shared by the view builders and the listeners."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    """Metadata event types Accord writes on its own messages."""

    OUTBOX = "accord_outbox"
