"""Service levels through the use cases, on SQLite and PostgreSQL (issue 21, point 2): who may add, change and
remove one (a party binds itself alone; a change needs the other party), a reported value that misses the promise
posted as a breach naming the promising party, the exit trigger on breaches firing, and the review's counts.

Northwind: Alice (manager), Dave (member). Southwind: Bob (manager), Carol (member). Both in London; check-in
rounds every 2 weeks on Monday at 09:30, the first on Monday 15 March 2027."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.views.registry import render
from commands.actor import Actor
from commands.checkins import answers, rounds
from commands.consent import decisions
from commands.errors import InputError, Refused
from commands.reviews import runs
from commands.rmp import access, exits, kpis, service_levels
from commands.rmp.kpis import KpiInput
from storage.checkins import Round
from storage.engine import transaction
from storage.models import OutboxMessage, WorkItem
from storage.rmp import Change, ExitTrigger, Kpi, Proposal, Relationship
from tests.commands.two_parties import ALICE, BOB, CHANNEL, DAVE, NOW, founded

__all__ = ["founded"]  # the fixture
OPENED = datetime(2027, 3, 15, 9, 30, tzinfo=UTC)
SIX = {str(i): "4" for i in range(6)}
# answered within 4 hours, promised by Northwind (slot 1) and reported by it: at least 95 %, red below 80 %
TICKETS = KpiInput("Tickets answered within 4 hours", "%", "higher", "95", "80", "1", "1", cadence="fortnightly")


def _save(engine: Engine, actor: Actor, form: KpiInput, number: int | None = None) -> Kpi | Proposal:
    with transaction(engine) as db:
        saved = service_levels.save_service_level(db, actor=actor, form=form, number=number, now=NOW)
        db.expunge(saved)
        return saved


def _approve(engine: Engine, actor: Actor, number: int) -> None:
    with transaction(engine) as db:
        decisions.approve(db, actor=actor, number=number, now=NOW)


def _levels(engine: Engine) -> list[tuple[int, str, float, int, bool, bool]]:
    with Session(engine) as db:
        return [(k.number, k.name, k.target, k.owner_slot, k.service_level, k.active)
                for k in db.exec(select(Kpi).order_by(col(Kpi.number)))]


def _posts(engine: Engine, view: str) -> list[OutboxMessage]:
    with Session(engine) as db:
        return list(db.exec(select(OutboxMessage).where(OutboxMessage.view == view).order_by(col(OutboxMessage.id))))


def test_a_party_binds_itself_alone_but_a_promise_of_the_partner_and_any_change_wait_for_consent(
        founded: Engine) -> None:
    engine = founded
    own = _save(engine, ALICE, TICKETS)  # Northwind promises: it binds only itself
    assert isinstance(own, Kpi) and _levels(engine) == [(1, TICKETS.name, 95.0, 1, True, True)]
    asked = _save(engine, ALICE, KpiInput("Invoices paid within 30 days", "%", "higher", "98", "90", "2", "2"))
    assert isinstance(asked, Proposal) and len(_levels(engine)) == 1  # Southwind's promise: Southwind decides
    _approve(engine, BOB, asked.number)
    assert _levels(engine)[1] == (2, "Invoices paid within 30 days", 98.0, 2, True, True)

    lowered = _save(engine, ALICE, KpiInput(TICKETS.name, "%", "higher", "90", "80", "1", "1"), number=1)
    assert isinstance(lowered, Proposal) and _levels(engine)[0][2] == 95.0  # Southwind relies on it
    _approve(engine, BOB, lowered.number)
    assert _levels(engine)[0][2] == 90.0
    with transaction(engine) as db:
        removal = service_levels.remove_service_level(db, actor=BOB, number=2, now=NOW)  # its own: Northwind asked
    assert isinstance(removal, Proposal) and _levels(engine)[1][5] is True
    _approve(engine, ALICE, removal.number)
    assert _levels(engine)[1][5] is False

    before = _levels(engine)
    with pytest.raises(InputError) as bad, transaction(engine) as db:  # every bad field at once, nothing saved
        service_levels.save_service_level(db, actor=ALICE, now=NOW, number=None, form=KpiInput(
            TICKETS.name, "%", "higher", "lots", "80", "3", "1"))
    assert set(bad.value.errors) == {"target", "owner_slot", "name"}
    with pytest.raises(InputError) as through_kpi, transaction(engine) as db:  # not around its consent rule
        kpis.save_kpi(db, actor=ALICE, kpi_number=1, now=NOW, form=KpiInput(
            TICKETS.name, "%", "higher", "50", "40", "1", "1"))
    assert "/accord sla edit 1" in through_kpi.value.message
    with pytest.raises(Refused), transaction(engine) as db:
        service_levels.save_service_level(db, actor=DAVE, form=TICKETS, number=None, now=NOW)
    assert _levels(engine) == before


def _open_round(engine: Engine) -> None:
    with transaction(engine) as db:
        [item] = db.exec(select(WorkItem).where(WorkItem.kind == rounds.OPEN_KIND, WorkItem.status == "pending"))
        rounds.open_round(db, item, OPENED)


def _answer(engine: Engine, actor: Actor, values: dict[str, str]) -> None:
    with transaction(engine) as db:
        round_id = db.exec(select(Round.id)).one() or 0
        answers.submit_answer(db, actor=actor, round_id=round_id, ratings=SIX, kpi_values=values, comment="",
                              now=OPENED)


def test_a_missed_promise_is_posted_naming_the_party_fires_its_exit_trigger_and_is_counted_in_the_review(
        founded: Engine) -> None:
    engine = founded
    _save(engine, ALICE, TICKETS)
    assert isinstance(_save(engine, BOB, KpiInput("Invoices paid within 30 days", "%", "higher", "98", "90", "2",
                                                  "2")), Kpi)  # Southwind's own promise
    with transaction(engine) as db:  # the exit strategy is joint: Southwind approves
        trigger = exits.save_trigger(db, actor=BOB, number=None, now=NOW, form=exits.ExitInput(
            service_levels.TRIGGER, "Tickets missed two periods running", kpi="1", periods="2"))
        assert isinstance(trigger, Proposal)
        decisions.approve(db, actor=ALICE, number=trigger.number, now=NOW)
    with pytest.raises(InputError) as not_a_level, transaction(engine) as db:
        kpis.save_kpi(db, actor=ALICE, kpi_number=None, now=NOW, form=KpiInput("Leads", "", "higher", "40", "20",
                                                                              "1", "1"))
        exits.save_trigger(db, actor=ALICE, number=None, now=NOW, form=exits.ExitInput(
            service_levels.TRIGGER, "Leads", kpi="3", periods="2"))
    assert "not a service level" in not_a_level.value.errors["kpi"]
    with transaction(engine) as db:  # the fortnight before the first round missed it too
        kpi = db.exec(select(Kpi).where(Kpi.number == 1)).one()
        kpis.record_value(db, kpi, value=90, period=date(2027, 3, 8), user_id=ALICE.user_id, now=NOW)
    _open_round(engine)

    _answer(engine, ALICE, {"1": "97"})  # kept: no breach, and the trigger waits
    _answer(engine, BOB, {"2": "99"})
    assert _posts(engine, "service_level_breach") == [] and _posts(engine, "exit_warning") == []
    _answer(engine, ALICE, {"1": "91"})  # Alice corrects her figure: missed
    [breach] = _posts(engine, "service_level_breach")
    text = render(breach.view, breach.data)["blocks"][0]["text"]["text"]
    assert "*#1 Tickets answered within 4 hours* missed" in text
    assert "91 % against the promised ≥ 95 % (Northwind's promise to Southwind)" in text
    assert "UALICE" not in str(render(breach.view, breach.data))  # the party is named, not a person
    [warning] = _posts(engine, "exit_warning")
    assert "missed 2 periods in a row (Northwind's promise)" in warning.data["reason"]
    with Session(engine) as db:
        assert db.exec(select(ExitTrigger)).one().status == "triggered"
        assert db.exec(select(Change).where(Change.entity == "exit_trigger", Change.verb == "fired")).one()
    _answer(engine, ALICE, {"1": "92"})  # the same period again: one post per period
    assert len(_posts(engine, "service_level_breach")) == 1

    with transaction(engine) as db:
        relationship = access.relationship_in(db, CHANNEL, lock=True)
        review = runs.hold(db, relationship, trigger="now", by=ALICE.user_id, now=datetime(2027, 3, 20, tzinfo=UTC))
        figures = review.figures
    northwind, southwind = figures["service_levels"]
    assert (northwind["name"], northwind["met"], northwind["breached"]) == ("Northwind", 0, 2)
    assert [(b["period"], b["value"]) for b in northwind["breaches"]] == [("2027-03-08", 90.0), ("2027-03-15", 92.0)]
    assert (southwind["name"], southwind["met"], southwind["breached"]) == ("Southwind", 1, 0)
    shown = str(render("review_summary", {"figures": figures, "trigger": "now", "requested_by": ALICE.user_id,
                                          "signatures": []}))
    assert "*Service levels*: Northwind 0 met, 2 breached · Southwind 1 met, 0 breached" in shown


def test_status_shows_service_levels_apart_from_kpis(founded: Engine) -> None:
    from commands.rmp import status

    engine = founded
    _save(engine, ALICE, TICKETS)
    with transaction(engine) as db:
        kpis.save_kpi(db, actor=ALICE, kpi_number=None, now=NOW, form=KpiInput("Leads", "", "higher", "40", "20",
                                                                              "1", "1"))
        shown = status.relationship_status(db, actor=BOB, now=NOW)
        relationship_id = db.exec(select(Relationship.id)).one()
    assert relationship_id and [k.name for k in shown.kpis] == ["Leads"]
    assert [(s.name, s.promiser, s.partner) for s in shown.service_levels] == [
        (TICKETS.name, "Northwind", "Southwind")]
