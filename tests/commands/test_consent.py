"""Consent through the use cases, on SQLite and PostgreSQL: what both parties share changes only with both.

Northwind (Alice, manager; Dave, member) set the relationship up; Southwind (Bob, its first and so its
manager; Carol, member) joined. Ursula is in neither party. The calendar: both in London, Monday to Friday."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.checkins import settings
from commands.consent import decisions, proposals
from commands.errors import Refused
from commands.rmp import actions, exits, kpis, objectives, people, risks, setup
from scheduler.tick import run_tick
from storage.engine import transaction
from storage.models import OutboxMessage
from storage.rmp import Action, Change, ExitTrigger, Kpi, Objective, Proposal, Relationship, Risk

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)  # Wednesday, 12:00 in London
CHANNEL, HOME, PARTNER = "C0CONSENT", "T0HOME", "T0PARTNER"
ALICE, DAVE = Actor("UALICE", HOME, CHANNEL), Actor("UDAVE", HOME, CHANNEL)
BOB, CAROL = Actor("UBOB", PARTNER, CHANNEL), Actor("UCAROL", PARTNER, CHANNEL)
URSULA = Actor("UURSULA", PARTNER, CHANNEL)
LONDON = setup.CalendarInput("Europe/London")
SETUP = setup.SetupInput(name="NW–SW", party_1="Northwind", party_2="Southwind", timezone="Europe/London",
                         calendars=(LONDON, LONDON))


def _founded(engine: Engine, *, partner: bool = True) -> None:
    """The relationship, with Southwind's people when `partner`."""
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=SETUP, now=NOW)
        people.join(db, actor=DAVE, now=NOW)
        if partner:
            people.join(db, actor=BOB, now=NOW)
            people.join(db, actor=CAROL, now=NOW)


def _relationship(engine: Engine) -> Relationship:
    with Session(engine) as db:
        return db.exec(select(Relationship)).one()


def _proposal(engine: Engine, number: int = 1) -> Proposal:
    with Session(engine) as db:
        return db.exec(select(Proposal).where(Proposal.number == number)).one()


def _history(engine: Engine) -> list[tuple[str, str, str, str]]:
    with Session(engine) as db:
        return [(c.entity, c.verb, c.user_id, c.party) for c in db.exec(select(Change).order_by(col(Change.version)))]


def _outbox(engine: Engine, prefix: str) -> list[OutboxMessage]:
    with Session(engine) as db:
        return list(db.exec(select(OutboxMessage).where(col(OutboxMessage.idempotency_key).like(f"{prefix}%"))
                            .order_by(col(OutboxMessage.id))))


def _refused(engine: Engine, run: Callable[[Session], object]) -> str:
    with pytest.raises(Refused) as refused, transaction(engine) as db:
        run(db)
    return refused.value.message


def test_before_the_partner_has_a_manager_a_change_takes_effect_and_is_announced(engine: Engine) -> None:
    _founded(engine, partner=False)
    with transaction(engine) as db:
        result = setup.configure(db, actor=ALICE, form=SETUP.__class__(**{**SETUP.__dict__, "name": "Renamed"}),
                                 now=NOW)
    assert result.proposal is None and _relationship(engine).name == "Renamed"
    [digest] = _outbox(engine, "rel:1:digest:2027-03-03")  # one post of the day's changes, updated in place
    assert "Renamed" in digest.data["changes"][-1]["text"]  # the relationship's change, in words
    with transaction(engine) as db:  # a joint objective too
        made = objectives.save_objective(db, actor=ALICE, number=None, now=NOW, form=objectives.ObjectiveInput(
            "ours", "Grow together", benefit_1="More"))
    assert isinstance(made, Objective)
    assert _outbox(engine, "proposal:") == []


def test_a_shared_change_is_proposed_and_takes_effect_when_the_other_party_approves(engine: Engine) -> None:
    _founded(engine)
    changed = SETUP.__class__(**{**SETUP.__dict__, "timezone": "America/New_York"})
    with transaction(engine) as db:
        proposal = setup.configure(db, actor=ALICE, form=changed, now=NOW).proposal
    assert proposal is not None and _relationship(engine).timezone == "Europe/London"  # not yet
    [posted] = _outbox(engine, "proposal:1")
    assert posted.channel == CHANNEL and posted.data["changes"] == [
        {"field": "timezone", "before": "Europe/London", "after": "America/New_York"}]
    assert posted.data["mention"] == ["UBOB"]  # Southwind's manager decides (in his working hours now)
    # the proposing party cannot approve; members and outsiders cannot decide
    assert "the other party approves" in _refused(engine, lambda db: decisions.approve(
        db, actor=ALICE, number=1, now=NOW))
    assert "SERs and managers approve" in _refused(engine, lambda db: decisions.approve(
        db, actor=CAROL, number=1, now=NOW))
    assert "not in" in _refused(engine, lambda db: decisions.approve(db, actor=URSULA, number=1, now=NOW))
    assert "withdraws it" in _refused(engine, lambda db: decisions.withdraw(db, actor=BOB, number=1, now=NOW))
    assert "or whoever proposed it" in _refused(engine, lambda db: decisions.withdraw(
        db, actor=DAVE, number=1, now=NOW))
    with transaction(engine) as db:
        decisions.approve(db, actor=BOB, number=1, now=NOW)
    assert _relationship(engine).timezone == "America/New_York"
    assert _proposal(engine).status == "approved" and _proposal(engine).decided_by == "UBOB"
    history = _history(engine)
    assert ("proposal", "propose", "UALICE", "Northwind") in history
    assert history[-2:] == [("relationship", "update", "UALICE", "Northwind"),
                            ("proposal", "approve", "UBOB", "Southwind")]
    [update] = _outbox(engine, "proposal:1:v")  # the message updated in place
    assert update.method == "chat.update" and update.data["status"] == "approved"
    assert "already approved" in _refused(engine, lambda db: decisions.reject(
        db, actor=BOB, number=1, reason="", now=NOW))


def test_reject_and_withdraw_change_nothing_and_one_proposal_per_group_is_open(engine: Engine) -> None:
    _founded(engine)
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, now=NOW, form=SETUP.__class__(**{**SETUP.__dict__, "name": "A"}))
    assert "still open" in _refused(engine, lambda db: setup.configure(
        db, actor=BOB, now=NOW, form=SETUP.__class__(**{**SETUP.__dict__, "name": "B"})))
    with transaction(engine) as db:  # another group may have its own proposal meanwhile
        saved = settings.save_settings(db, actor=BOB, now=NOW, form=settings.SettingsInput(
            "We deliver", "5", "3", "3", "1", "1"))
    assert saved.proposal is not None and saved.proposal.number == 2
    with transaction(engine) as db:
        decisions.reject(db, actor=ALICE, number=2, reason="Keep the six statements", now=NOW)
        decisions.withdraw(db, actor=ALICE, number=1, now=NOW)
    relationship = _relationship(engine)
    assert relationship.name == "NW–SW" and len(relationship.checkin_statements) == 6
    assert (_proposal(engine, 1).status, _proposal(engine, 2).status) == ("withdrawn", "rejected")
    assert _proposal(engine, 2).reason == "Keep the six statements"
    assert [(e, v, u) for e, v, u, _ in _history(engine)[-2:]] == [("proposal", "reject", "UALICE"),
                                                                   ("proposal", "withdraw", "UALICE")]


def test_an_undecided_proposal_lapses_after_five_working_days_of_both_parties(engine: Engine) -> None:
    _founded(engine)
    with transaction(engine) as db:  # Wednesday 3 March 12:00: five working days are Wednesday 10 March 12:00
        setup.configure(db, actor=ALICE, now=NOW, form=SETUP.__class__(**{**SETUP.__dict__, "name": "Later"}))
    assert _proposal(engine).lapses_at == datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
    run_tick(engine, now=datetime(2027, 3, 10, 11, 59, tzinfo=UTC))
    assert _proposal(engine).status == "open"
    run_tick(engine, now=datetime(2027, 3, 10, 12, 1, tzinfo=UTC))
    assert _proposal(engine).status == "lapsed" and _relationship(engine).name == "NW–SW"
    [note] = _outbox(engine, "proposal:1:lapsed")
    assert note.thread_of == "proposal:1"  # a note in the proposal's thread
    assert _history(engine)[-1][:2] == ("proposal", "lapse")


PlanChange = Callable[[Session, Actor], object]


def _objective(whose: str) -> PlanChange:
    return lambda db, actor: objectives.save_objective(db, actor=actor, number=None, now=NOW, form=(
        objectives.ObjectiveInput(whose, f"Objective of {whose}", benefit_1="Yes")))


def _kpi(owner: str) -> PlanChange:
    return lambda db, actor: kpis.save_kpi(db, actor=actor, kpi_number=None, now=NOW, form=kpis.KpiInput(
        f"KPI {owner} {actor.user_id}", "%", "higher", "95", "80", owner, owner))


def _risk(owner: str) -> PlanChange:
    return lambda db, actor: risks.save_risk(db, actor=actor, number=None, now=NOW, form=risks.RiskInput(
        "Staff leave", "3", "4", owner))


def _action(owner: str) -> PlanChange:
    return lambda db, actor: actions.save_action(db, actor=actor, number=None, now=NOW, form=actions.ActionInput(
        "Send the plan", owner, "2027-03-31"))


def _exit() -> PlanChange:
    return lambda db, actor: exits.save_trigger(db, actor=actor, number=None, now=NOW, form=exits.ExitInput(
        "manual", "Either party decides"))


OWNERSHIP: list[tuple[str, PlanChange, type, bool]] = [
    # (what Alice of Northwind changes, how, its table, whether Northwind changes it alone)
    ("own objective", _objective("1"), Objective, True), ("joint objective", _objective("ours"), Objective, False),
    ("partner's objective", _objective("2"), Objective, False),
    ("own KPI", _kpi("1"), Kpi, True), ("partner's KPI", _kpi("2"), Kpi, False),
    ("own person's risk", _risk("UDAVE"), Risk, True), ("partner's person's risk", _risk("UCAROL"), Risk, False),
    ("own person's action", _action("UDAVE"), Action, True),
    ("partner's person's action", _action("UCAROL"), Action, False),
    ("exit trigger", _exit(), ExitTrigger, False),
]


def test_each_party_changes_alone_only_what_it_owns(engine: Engine, subtests: pytest.Subtests) -> None:
    """Every kind of plan item, on one relationship: each case adds one item (proposed and approved when it is
    not Northwind's alone) and checks that it exists, recorded as Alice's."""
    _founded(engine)
    for name, change, table, alone in OWNERSHIP:
        with subtests.test(msg=name):
            with Session(engine) as db:
                before = len(db.exec(select(table)).all())
            with transaction(engine) as db:
                outcome = change(db, ALICE)
            with Session(engine) as db:
                made = len(db.exec(select(table)).all()) - before
            if alone:
                assert not isinstance(outcome, Proposal) and made == 1, name
                continue
            assert isinstance(outcome, Proposal) and made == 0, name
            with transaction(engine) as db:
                decisions.approve(db, actor=BOB, number=outcome.number, now=NOW)
            with Session(engine) as db:
                latest = db.exec(select(table).order_by(col(table.number).desc())).first()  # type: ignore[attr-defined]
                created = db.exec(select(Change).where(Change.verb == "create").order_by(
                    col(Change.version).desc())).first()
            assert latest.number == before + 1 and created is not None, name
            assert (created.user_id, created.party) == ("UALICE", "Northwind"), name  # the proposer's


def test_editing_ones_own_item_into_the_partners_is_proposed(engine: Engine) -> None:
    _founded(engine)
    with transaction(engine) as db:
        _action("UDAVE")(db, ALICE)
        moved = actions.save_action(db, actor=ALICE, number=1, now=NOW, form=actions.ActionInput(
            "Send the plan", "UCAROL", "2027-03-31"))
    assert isinstance(moved, Proposal)
    assert {c["field"]: c["after"] for c in moved.changes} == {"owner": "<@UCAROL>"}
    with Session(engine) as db:
        assert db.exec(select(Action)).one().owner_user_id == "UDAVE"


def test_the_owner_or_their_partys_managers_mark_an_action_done(engine: Engine) -> None:
    _founded(engine)
    with transaction(engine) as db:
        _action("UCAROL")(db, BOB)  # Southwind's action, made by Southwind
    with transaction(engine) as db:  # the other party only asks: the action stays open until Southwind confirms
        asked = actions.complete_action(db, actor=ALICE, number=1, now=NOW)
        assert (asked.status, asked.done_asked_by) == (actions.OPEN, ALICE.user_id)
    assert "has asked already" in _refused(engine, lambda db: actions.complete_action(
        db, actor=ALICE, number=1, now=NOW))
    with transaction(engine) as db:
        assert actions.complete_action(db, actor=BOB, number=1, now=NOW).status == actions.DONE
    assert proposals.title_of("objective:new") == "a new joint objective"


def test_a_partys_own_calendar_is_shared_too_and_changes_by_proposal(engine: Engine) -> None:
    _founded(engine)
    new_york = setup.CalendarInput("America/New_York", (0, 1, 2, 3, 4), "08:30-17:00", "2027-03-05", "US-NY")
    with transaction(engine) as db:  # Bob sets Southwind's calendar: dispute clocks and windows count on it
        proposal = setup.configure(db, actor=BOB, now=NOW, form=SETUP.__class__(
            **{**SETUP.__dict__, "calendars": (LONDON, new_york)})).proposal
    assert proposal is not None
    assert {c["field"]: (c["before"], c["after"]) for c in proposal.changes} == {
        "Southwind: timezone": ("Europe/London", "America/New_York"),
        "Southwind: working hours": ("09:00-17:30", "08:30-17:00"),
        "Southwind: holidays": ("none", "2027-03-05"), "Southwind: public holidays of": ("none", "US-NY")}
    with transaction(engine) as db:
        decisions.approve(db, actor=ALICE, number=proposal.number, now=NOW)
    with Session(engine) as db:
        from storage.rmp import Party

        southwind = db.exec(select(Party).where(Party.slot == 2)).one()
        northwind = db.exec(select(Party).where(Party.slot == 1)).one()
    assert (southwind.timezone, southwind.working_hours, southwind.holidays, southwind.holiday_region) == (
        "America/New_York", "08:30-17:00", ["2027-03-05"], "US-NY")
    assert northwind.timezone == "Europe/London" and northwind.holidays == []
