"""Slack event de-duplication: each event id is handled once, whatever Slack retries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from storage.models import HandledEvent


def first_delivery(db: Session, *, event_id: str, now: datetime) -> bool:
    """Record `event_id`; False when it was handled before (a retry to acknowledge and drop)."""
    insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else pg_insert
    statement = (
        insert(HandledEvent)
        .values(event_id=event_id, received_at=now)
        .on_conflict_do_nothing()
        .returning(col(HandledEvent.event_id))
    )
    return db.connection().execute(statement).first() is not None
