"""A rich relationship built through the real use cases, for tests that need a whole plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from commands.actor import Actor
from commands.rmp import actions, exits, kpis, objectives, people, risks, setup, wins
from commands.rmp.access import relationship_in
from commands.rmp.items import find
from commands.rmp.kpis import KpiInput
from storage.engine import transaction
from storage.rmp import Kpi, Proposal
from tests.commands import plan_snapshot

NOW = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)  # microseconds survive the round trip
CHANNEL = "C0EXPORT"
HOME, PARTNER = "T0HOME", "T0PARTNER"
ALICE, DAVE = "U0ALICE", "U0DAVE"  # home organisation (party 1)
BOB, CAROL = "U0BOB", "U0CAROL"  # partner organisation (party 2)
NAME = "Café Ünïcode — 北 partnership"


class Clock:
    """A fixed start that moves on a minute per change, so every change has its own time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        """The next minute."""
        self.now += timedelta(minutes=1)
        return self.now


_BUILT: dict[tuple[str, str, datetime], plan_snapshot.Rows] = {}  # this process's plans, by dialect, channel, time


def build_plan(engine: Engine, *, channel: str = CHANNEL, now: datetime = NOW) -> str:
    """Create a relationship with people, objectives, KPIs and values, risks, actions, exit triggers,
    disputes, costs and benefits, two reviews (the first signed off by one SER) and a history of
    creations and edits; returns its channel id. Built through the use cases once per process (and database
    kind); later calls write the same rows into their empty database."""
    key = (engine.dialect.name, channel, now)
    if key in _BUILT:
        plan_snapshot.restore(engine, _BUILT[key])
        return channel
    _build(engine, channel=channel, now=now)
    _BUILT[key] = plan_snapshot.snapshot(engine)
    return channel


def _build(engine: Engine, *, channel: str, now: datetime) -> None:
    clock = Clock(now)
    alice, bob = Actor(ALICE, HOME, channel), Actor(BOB, PARTNER, channel)
    with transaction(engine) as db:
        setup.configure(db, actor=alice, now=clock(), form=setup.SetupInput(
            name=NAME, party_1="Acme Ünïcode", party_2="北 Partner Co", timezone="Europe/London",
            holidays="2026-12-25, 2026-12-26", checkin_cadence="weekly on tuesday at 10:00",
        ))
        for actor in (bob, Actor(CAROL, PARTNER, channel), Actor(DAVE, HOME, channel)):
            people.join(db, actor=actor, now=clock())
        people.set_role(db, actor=bob, text_args=f"<@{CAROL}> observer", now=clock())
        _objectives(db, alice, bob, clock)
        _kpis(db, alice, bob, clock)
        _risks_and_actions(db, alice, bob, clock)
        _exit(db, alice, bob, clock)
        # an edit of the relationship itself: a new name for the partner and another review cadence
        _agree(db, setup.configure(db, actor=alice, now=clock(), form=setup.SetupInput(
            name=NAME, party_1="Acme Ünïcode", party_2="北 Partner Company", timezone="Europe/London",
            holidays="2026-12-25, 2026-12-26", checkin_cadence="weekly on tuesday at 10:00",
            review_cadence="monthly on the first working day at 11:00",
        )).proposal, bob, clock)
        _checkins_and_disputes(db, alice, bob, clock)
        _values_and_reviews(db, alice, bob, clock)
        # KPI values come after the reviews: commands/reviews/figures.py _kpis fails (TypeError) on values from
        # before a review's period; move this back into _kpis once that is fixed
        _kpi_values(db, alice, clock)


def _agree(db: Session, result: object, partner: Actor, clock: Clock) -> None:
    """A change that waits as a proposal (the partner has managers) approved by `partner` at once."""
    from commands.consent import decisions

    if isinstance(result, Proposal):
        decisions.approve(db, actor=partner, number=result.number, now=clock())
    elif hasattr(result, "proposal") and isinstance(result.proposal, Proposal):
        decisions.approve(db, actor=partner, number=result.proposal.number, now=clock())


def _values_and_reviews(db: Session, alice: Actor, bob: Actor, clock: Clock) -> None:
    """Costs and benefits of both parties, Dave made his party's SER, two reviews: #1 signed off by Dave."""
    from commands.reviews import minutes, records, runs, values

    form = values.ValueInput
    values.record_value(db, actor=alice, now=clock(), form=form(
        "1", "cost", "1,234.5", "Two engineers for a week — zwei Ingenieure", on="2026-11-20"))
    values.record_value(db, actor=bob, now=clock(), form=form("2", "benefit", "0.1"))  # no exact binary float
    values.record_value(db, actor=bob, now=clock(), form=form("1", "benefit", description="A reference — 参考"))
    values.record_value(db, actor=alice, now=clock(), form=form("2", "cost", "1e-7", "Coffee"))
    people.set_role(db, actor=alice, text_args=f"<@{DAVE}> ser", now=clock())
    relationship = relationship_in(db, alice.channel_id, lock=True)
    runs.hold(db, relationship, trigger="now", by=ALICE, now=clock())
    dave = Actor(DAVE, HOME, alice.channel_id)
    minutes.state_expectations(db, actor=dave, number=1, score="4", note="Mostly — größtenteils", now=clock())
    minutes.add_lesson(db, actor=bob, number=1, failure="Late invoices — 請求書", reason="No owner",
                       avoidance="Name an owner", now=clock())
    records.sign_off(db, actor=dave, number=1, now=clock(), plan_version=relationship.version, exit_reviewed=True)
    values.record_value(db, actor=bob, now=clock(), form=form("2", "benefit", "2500", "New customers"))
    runs.hold(db, relationship, trigger="scheduled", by="accord", now=clock())


def _checkins_and_disputes(db: Session, alice: Actor, bob: Actor, clock: Clock) -> None:
    """Check-in settings, a timezone learnt from Slack, and two disputes with their logs (one resolved)."""
    from commands.checkins import settings
    from commands.disputes import lifecycle

    _agree(db, settings.save_settings(db, actor=alice, now=clock(), form=settings.SettingsInput(
        "We deliver on time\nWe trust the partner — 信頼", "7", "4", "3", "1.5", "1")), bob, clock)
    people.record_user(db, user_id=BOB, tz="America/New_York")
    raise_form = lifecycle.RaiseInput
    lifecycle.raise_dispute(db, actor=bob, now=clock(), form=raise_form(
        "Invoices late — Rechnungen", "Three invoices were late", "2", "high", "Pay within 30 days",
        evidence_channel=alice.channel_id, evidence_ts="1732540000.000100"))
    lifecycle.escalate_now(db, actor=bob, number=1, reason="No answer", now=clock())
    lifecycle.propose(db, actor=alice, number=1, resolution="Pay within 20 days", now=clock())
    lifecycle.accept(db, actor=bob, number=1, lessons="Agree terms up front", now=clock())
    lifecycle.raise_dispute(db, actor=alice, now=clock(), form=raise_form(
        "Scope creep", "Requests outside the SOW", "1", "medium"))
    lifecycle.add_note(db, actor=bob, number=2, note="We will list them", now=clock())


def _objectives(db: Session, alice: Actor, bob: Actor, clock: Clock) -> None:
    form = objectives.ObjectiveInput
    _agree(db, objectives.save_objective(db, actor=alice, number=None, now=clock(), form=form(
        "ours", "Grow the joint pipeline", benefit_1="More leads", benefit_2="Más clientes — 更多")), bob, clock)
    _agree(db, objectives.save_objective(db, actor=alice, number=None, now=clock(), form=form(
        "1", "Certify the integration", benefit_1="A badge", benefit_2="Fewer tickets")), bob, clock)
    _agree(db, objectives.save_objective(db, actor=bob, number=None, now=clock(), form=form(
        "2", "Enter the Nordic market", benefit_2="Reach")), alice, clock)
    _agree(db, objectives.save_objective(db, actor=bob, number=1, now=clock(), form=form(
        "ours", "Grow the joint pipeline by 20%", benefit_1="More leads", benefit_2="Más clientes — 更多",
        status="met")), alice, clock)


def _kpis(db: Session, alice: Actor, bob: Actor, clock: Clock) -> None:
    _agree(db, kpis.save_kpi(db, actor=alice, kpi_number=None, now=clock(), form=KpiInput(
        "Qualified leads", "leads", "higher", "40", "20.5", "1", "2")), bob, clock)
    _agree(db, kpis.save_kpi(db, actor=bob, kpi_number=None, now=clock(), form=KpiInput(
        "Response time", "hours", "lower", "4", "24", "2", "1", cadence="monthly")), alice, clock)
    _agree(db, kpis.save_kpi(db, actor=alice, kpi_number=1, now=clock(), form=KpiInput(
        "Qualified leads", "leads", "higher", "45", "20.5", "1", "2")), bob, clock)


def _kpi_values(db: Session, alice: Actor, clock: Clock) -> None:
    leads = find(db, Kpi, _relationship_id(db, alice), 1, label="KPI")
    response = find(db, Kpi, _relationship_id(db, alice), 2, label="KPI")
    for period, value in ((date(2026, 10, 1), 33.5), (date(2026, 11, 1), 18.0), (date(2026, 9, 1), 41.0)):
        kpis.record_value(db, leads, value=value, period=period, user_id=BOB, now=clock())
    kpis.record_value(db, response, value=6.25, period=date(2026, 11, 1), user_id=ALICE, now=clock())


def _relationship_id(db: Session, actor: Actor) -> int:
    return relationship_in(db, actor.channel_id).id or 0


def _risks_and_actions(db: Session, alice: Actor, bob: Actor, clock: Clock) -> None:
    _agree(db, risks.save_risk(db, actor=alice, number=None, now=clock(), form=risks.RiskInput(
        "Key engineer leaves", "3", "4", f"<@{DAVE}>", mitigation="Pair on the integration",
        review_on="2027-01-15")), bob, clock)
    _agree(db, risks.save_risk(db, actor=bob, number=None, now=clock(), form=risks.RiskInput(
        "Budget cut — 預算", "2", "5", BOB)), alice, clock)
    _agree(db, risks.save_risk(db, actor=bob, number=2, now=clock(), form=risks.RiskInput(
        "Budget cut — 預算", "2", "5", BOB, mitigation="Agree the budget for the year", status="mitigated")),
        alice, clock)
    for description, owner, due in (("Send the price list", ALICE, "2026-12-01"),
                                    ("Book the kick-off — Zürich", BOB, "2026-12-15"),
                                    ("Draft the joint case study", DAVE, "2027-01-20")):
        _agree(db, actions.save_action(db, actor=alice, number=None, now=clock(),
                            form=actions.ActionInput(description, owner, due)), bob, clock)
    actions.complete_action(db, actor=alice, number=1, now=clock())
    actions.cannot_complete_action(db, actor=bob, number=2, reason="The venue is closed — fermé", now=clock())
    actions.complete_action(db, actor=bob, number=3, now=clock())  # the partner asks Alice's party to confirm
    wins.record_win(db, actor=bob, text="First joint order shipped — 出荷", now=clock())
    wins.record_win(db, actor=alice, text="Case study signed off", now=clock())


def _exit(db: Session, alice: Actor, bob: Actor, clock: Clock) -> None:
    form = exits.ExitInput
    _agree(db, exits.save_trigger(db, actor=alice, number=None, now=clock(), form=form(
        "kpi_red", "Leads red three periods running", kpi="1", periods="3")), bob, clock)
    _agree(db, exits.save_trigger(db, actor=bob, number=None, now=clock(), form=form(
        "trust_below", "Trust falls below 2.5", threshold="2.5")), alice, clock)
    _agree(db, exits.save_trigger(db, actor=alice, number=None, now=clock(), form=form(
        "date", "The pilot ends", on_date="2027-06-30")), bob, clock)
    _agree(db, exits.save_trigger(db, actor=alice, number=None, now=clock(), form=form(
        "dispute_last_level", "A dispute reaches mediation")), bob, clock)
    _agree(db, exits.save_trigger(db, actor=bob, number=None, now=clock(), form=form(
        "manual", "Either party decides")), alice, clock)
    _agree(db, exits.save_trigger(db, actor=bob, number=4, now=clock(), form=form(
        "dispute_last_level", "A dispute reaches mediation", status="triggered")), alice, clock)
    _agree(db, exits.save_trigger(db, actor=alice, number=None, now=clock(), form=form(
        "objective_failing", "The joint objective fails", objective="1")), bob, clock)
    _agree(db, exits.save_trigger(db, actor=bob, number=None, now=clock(), form=form(
        "objectives_failing", "Two objectives fail", count="2")), alice, clock)
    exits.mark_reviewed(db, actor=alice, now=clock())
