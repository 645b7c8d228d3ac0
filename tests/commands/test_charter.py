"""The partnership charter through the use cases, on SQLite and PostgreSQL: changed only with both parties'
consent, its behaviours drawn into the check-in statements by the same change, bad input changing nothing.

Northwind (Alice, manager; Dave, member) set the relationship up; Southwind (Bob, manager) joined."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.consent import decisions
from commands.errors import InputError, Refused
from commands.rmp import charter, history, people, setup, status
from storage.engine import transaction
from storage.rmp import DEFAULT_STATEMENTS, Change, Relationship

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)
CHANNEL, HOME, PARTNER = "C0CHARTER", "T0HOME", "T0PARTNER"
ALICE, DAVE, BOB = Actor("UALICE", HOME, CHANNEL), Actor("UDAVE", HOME, CHANNEL), Actor("UBOB", PARTNER, CHANNEL)
LONDON = setup.CalendarInput("Europe/London")
SETUP = setup.SetupInput(name="NW–SW", party_1="Northwind", party_2="Southwind", timezone="Europe/London",
                         calendars=(LONDON, LONDON))
FORM = charter.CharterInput("Deliver the county's care records together, safely and on time.",
                            "Openness\nShared risk", "We raise problems early\nWe keep our commitments",
                            use_as_statements=True)


def _relationship(engine: Engine) -> Relationship:
    with Session(engine) as db:
        return db.exec(select(Relationship)).one()


def _changes(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as db:
        return [(c.entity, c.verb) for c in db.exec(select(Change).order_by(col(Change.version)))]


def test_before_the_partner_has_a_manager_the_charter_takes_effect_at_once(engine: Engine) -> None:
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=SETUP, now=NOW)
        saved = charter.save_charter(db, actor=ALICE, form=FORM, now=NOW)
    assert saved.proposal is None
    relationship = _relationship(engine)
    assert relationship.charter_values == ["Openness", "Shared risk"]
    assert relationship.checkin_statements == ["We raise problems early", "We keep our commitments"]
    assert _changes(engine)[-2:] == [("charter", "update"), ("checkin_settings", "update")]


def test_a_change_waits_for_the_other_party_then_applies_with_the_statements(engine: Engine) -> None:
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=SETUP, now=NOW)
        people.join(db, actor=DAVE, now=NOW)
        people.join(db, actor=BOB, now=NOW)
        with pytest.raises(Refused, match="SERs and managers"):  # a member may read it, not change it
            charter.current(db, actor=DAVE)
        saved = charter.save_charter(db, actor=ALICE, form=FORM, now=NOW)
        assert saved.proposal is not None and saved.proposal.subject == "charter"
        shown = charter.show_charter(db, actor=DAVE)
        assert shown.empty and shown.pending == saved.proposal.number and not shown.can_edit
        with pytest.raises(Refused, match="the other party approves"):  # Northwind cannot approve its own
            decisions.approve(db, actor=ALICE, number=saved.proposal.number, now=NOW)
    waiting = _relationship(engine)
    assert waiting.charter_mission == "" and list(waiting.checkin_statements) == list(DEFAULT_STATEMENTS)
    with transaction(engine) as db:
        decisions.approve(db, actor=BOB, number=1, now=NOW)
        shown = charter.show_charter(db, actor=BOB)
        glance = status.relationship_status(db, actor=BOB, now=NOW)
        words = [entry.text for entry in history.latest_changes(db, actor=BOB).entries]
    assert shown.mission == FORM.mission and shown.behaviours == ["We raise problems early",
                                                                  "We keep our commitments"]
    assert shown.statements_are_behaviours and shown.pending is None
    assert glance.charter == charter.CharterLine(FORM.mission, 2, 2)
    assert _relationship(engine).checkin_statements == shown.behaviours
    # recorded as Alice's change (she proposed it), both the charter and the check-in statements, in words
    assert any("(Northwind) changed the partnership charter: " in w and "behaviours set to We raise problems early"
               in w and "mission set to Deliver the county" in w for w in words), words
    assert any("approved proposal #1 about the partnership charter" in w for w in words)
    assert any("check-in statements from" in w for w in words)


def test_bad_input_names_every_bad_field_and_changes_nothing(engine: Engine) -> None:
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=SETUP, now=NOW)
    before = _relationship(engine).version
    bad = charter.CharterInput("  ", "Openness\nopenness", "\n".join(f"B{i}" for i in range(13)),
                               use_as_statements=True)
    with pytest.raises(InputError) as raised, transaction(engine) as db:
        charter.save_charter(db, actor=ALICE, form=bad, now=NOW)
    assert set(raised.value.errors) == {"mission", "values", "behaviours"}
    no_behaviours = charter.CharterInput("A mission", use_as_statements=True)
    with pytest.raises(InputError) as raised, transaction(engine) as db:
        charter.save_charter(db, actor=ALICE, form=no_behaviours, now=NOW)
    assert set(raised.value.errors) == {"behaviours"}
    after = _relationship(engine)
    assert after.version == before and after.charter_mission == "" and after.charter_values == []
    with transaction(engine) as db:  # the same charter again is no change
        charter.save_charter(db, actor=ALICE, form=FORM, now=NOW)
        assert not charter.save_charter(db, actor=ALICE, form=FORM, now=NOW).changed
