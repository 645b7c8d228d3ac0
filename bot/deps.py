"""What listeners need from the process, handed to them by create_app (no globals)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.settings import Settings
from commands import outgoing
from commands.actor import Actor
from commands.errors import InputError, Refused
from storage.direct import Direct, one_write
from storage.engine import reading, transaction
from storage.utc import utcnow

log = logging.getLogger(__name__)

_local = threading.local()
SORRY = "Something went wrong on Accord's side and nothing was changed. Please try again in a minute."


@dataclass(frozen=True)
class Deps:
    """The settings, the engine, the clock and the outbox pump's doorbell."""

    settings: Settings
    engine: Engine
    notify_outbox: Callable[[], None] = lambda: None
    clock: Callable[[], datetime] = field(default=utcnow)

    def tell(self, actor: Actor, message: dict[str, Any]) -> None:
        """Queue an ephemeral message to the actor where they acted (answers to buttons and mentions): the DM
        they clicked in, else their channel, in the thread they acted in. A click on their App Home draws the Home
        again, so that what they just did leaves their to-do list."""
        channel = actor.reply_channel or actor.channel_id
        if actor.on_home:
            self.refresh_home(actor.user_id)
        if not channel:
            return
        data: dict[str, Any] = {key: message[key] for key in ("text", "blocks") if key in message}
        with self.unit_of_work() as db:
            outgoing.post_ephemeral(db, key=f"tell:{uuid.uuid4().hex}", channel=channel, user=actor.user_id,
                                  view="raw", data=data, now=self.clock(), thread_ts=actor.thread_ts)

    def refresh_home(self, user: str) -> None:
        """Publish `user`'s App Home as it stands now (see `publish_home`)."""
        with self.unit_of_work() as db:
            publish_home(db, user=user, key=f"home:{user}:{uuid.uuid4().hex}", now=self.clock())

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only unit of work (status, people, history, opening a form): never waits for a writer."""
        with reading(self.engine) as db:
            yield db

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A transaction; when it commits having queued a message, the outbox pump is told.

        Units of work never nest: on SQLite the inner one would wait for the outer's write lock
        until the busy timeout, so nesting is refused at once as the bug it is.
        """
        with _alone(), transaction(self.engine) as db:
            yield db
            mail = outgoing.queued(db)
        if mail:  # a request that queued nothing leaves the sender asleep (its claim is a write too)
            self.notify_outbox()

    @contextmanager
    def one_write(self) -> Iterator[Direct]:
        """Look-ups and one write without a Session, for a request that changes one row (`storage.direct`); it
        queues no message. It does not nest in a unit of work either."""
        with _alone(), one_write(self.engine) as db:
            yield db


@contextmanager
def _alone() -> Iterator[None]:
    """Refuse a unit of work inside another on the same thread."""
    if getattr(_local, "active", False):
        raise RuntimeError("a unit of work is already open on this thread")
    _local.active = True
    try:
        yield
    finally:
        _local.active = False


def answer_errors(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a listener's work; bad input becomes its message, anything else a short apology."""
    try:
        return run()
    except (InputError, Refused) as exc:
        return {"response_type": "ephemeral", "text": exc.message}
    except Exception:
        log.exception("request failed")
        return {"response_type": "ephemeral", "text": SORRY}


def publish_home(db: Session, *, user: str, key: str, now: datetime) -> None:
    """Queue `user`'s App Home: their to-do list in each relationship, each relationship at a glance below."""
    from bot.views.home import home_view  # the views import the listeners' ids: imported when used
    from commands.rmp.todo import todos_for_user

    outgoing.publish_home(db, key=key, user=user, data={"view": home_view(todos_for_user(db, user_id=user, now=now))},
                        now=now)
