"""Northwind and Southwind, both in London, each with an SER and one more person (Dave a member, Carol a
manager), set up on a Wednesday: the cast of the commitments and service-level tests. Import `founded` as a
fixture."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from commands.actor import Actor
from commands.rmp import people, setup
from storage.engine import transaction

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)  # Wednesday
CHANNEL, HOME, PARTNER = "C0PROMISES", "T0HOME", "T0PARTNER"
ALICE, DAVE = Actor("UALICE", HOME, CHANNEL), Actor("UDAVE", HOME, CHANNEL)
BOB, CAROL = Actor("UBOB", PARTNER, CHANNEL), Actor("UCAROL", PARTNER, CHANNEL)
LONDON = setup.CalendarInput("Europe/London")
SETUP = setup.SetupInput(name="NW–SW", party_1="Northwind", party_2="Southwind", timezone="Europe/London",
                         calendars=(LONDON, LONDON))


@pytest.fixture
def founded(engine: Engine) -> Engine:
    """The two parties set up in `engine`."""
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=SETUP, now=NOW)
        for actor in (DAVE, BOB, CAROL):
            people.join(db, actor=actor, now=NOW)
    return engine
