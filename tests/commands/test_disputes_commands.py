"""The dispute use cases called directly, on SQLite and PostgreSQL: raising (bad input changes nothing), the ladder
and its timers (the warning and the escalation queued at their working-time due times, firing at them), pause and
resume keeping the working time left, a resolution proposed by one party and decided by the other, and who may do
what.

Northwind (Alice, manager; Dave, member; Sam, SER) set the relationship up; Southwind (Bob, its first and so its
manager; Carol, member; Olive, observer) joined. Ursula is in neither. Both parties work in London, Monday to
Friday 09:00-17:30; the default ladder: L1 Working level 5 days, L2 managers 10, L3 SERs 15, L4 Mediation. A
level's clock counts whole joint working days; its due time is moved into the shared working hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.disputes import lifecycle
from commands.disputes.ladder import ESCALATE_KIND, WARN_KIND
from commands.errors import InputError, Refused
from commands.rmp import people, setup
from scheduler.tick import run_tick
from storage.disputes import OPEN, PAUSED, RESOLVED, Dispute, DisputeEvent
from storage.engine import transaction
from storage.models import OutboxMessage, WorkItem

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)  # Wednesday, 12:00 in London (GMT)
CHANNEL, HOME, PARTNER = "C0DISPUTE", "T0HOME", "T0PARTNER"
ALICE, DAVE, SAM = Actor("UALICE", HOME, CHANNEL), Actor("UDAVE", HOME, CHANNEL), Actor("USAM", HOME, CHANNEL)
BOB, CAROL, OLIVE = (Actor(u, PARTNER, CHANNEL) for u in ("UBOB", "UCAROL", "UOLIVE"))
URSULA = Actor("UURSULA", PARTNER, CHANNEL)
LONDON = setup.CalendarInput("Europe/London")
SETUP = setup.SetupInput(name="NW–SW", party_1="Northwind", party_2="Southwind", timezone="Europe/London",
                         calendars=(LONDON, LONDON))
FORM = lifecycle.RaiseInput("Invoices late", "Three invoices were paid late", "2", "high", "Pay within 30 days")

# the use cases' logic, on SQLite: the scenarios (tests/scenarios/) play the same commands on both databases
pytestmark = pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def founded(engine: Engine) -> Engine:
    """The relationship with both parties' people and roles."""
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=SETUP, now=NOW)
        for actor in (DAVE, SAM, BOB, CAROL, OLIVE):
            people.join(db, actor=actor, now=NOW)
        people.set_role(db, actor=ALICE, text_args="<@USAM> ser", now=NOW)
        people.set_role(db, actor=BOB, text_args="<@UOLIVE> observer", now=NOW)
    return engine


def _raise(engine: Engine, actor: Actor = BOB, form: lifecycle.RaiseInput = FORM, now: datetime = NOW) -> int:
    with transaction(engine) as db:
        return lifecycle.raise_dispute(db, actor=actor, form=form, now=now).number


def _dispute(engine: Engine, number: int = 1) -> Dispute:
    with Session(engine) as db:
        return db.exec(select(Dispute).where(Dispute.number == number)).one()


def _timers(engine: Engine) -> list[tuple[str, datetime, int]]:
    """The dispute timers queued: kind, due time and the epoch they were armed in."""
    with Session(engine) as db:
        items = db.exec(select(WorkItem).where(col(WorkItem.kind).in_([WARN_KIND, ESCALATE_KIND]))
                        .order_by(col(WorkItem.id)))
        return [(i.kind, i.due_at, i.payload["epoch"]) for i in items]


def _live_timers(engine: Engine) -> list[tuple[str, datetime]]:
    """The timers that would still act: armed in the dispute's current epoch."""
    epoch = _dispute(engine).timer_epoch
    return [(kind, due) for kind, due, armed in _timers(engine) if armed == epoch]


def _events(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as db:
        return [(e.kind, e.user_id) for e in db.exec(select(DisputeEvent).order_by(col(DisputeEvent.id)))]


def _refused(engine: Engine, run: Callable[[Session], object]) -> str:
    with pytest.raises(Refused) as refused, transaction(engine) as db:
        run(db)
    return refused.value.message


def _input_error(engine: Engine, run: Callable[[Session], object]) -> InputError:
    with pytest.raises(InputError) as error, transaction(engine) as db:
        run(db)
    return error.value


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    """Disputes, their log entries, dispute timers, and dispute messages queued."""
    with Session(engine) as db:  # one session at a time: on SQLite each takes this process's writer turn
        disputes, events = len(db.exec(select(Dispute)).all()), len(db.exec(select(DisputeEvent)).all())
        posts = len(db.exec(select(OutboxMessage).where(col(OutboxMessage.idempotency_key).like("dispute:%"))).all())
    return disputes, events, len(_timers(engine)), posts


def test_raising_opens_at_the_first_level_with_its_timers_and_posts_the_dispute(founded: Engine) -> None:
    assert _raise(founded) == 1
    dispute = _dispute(founded)
    assert (dispute.status, dispute.level, dispute.raising_slot, dispute.raised_by) == (OPEN, 0, 2, "UBOB")
    assert (dispute.title, dispute.severity, dispute.desired_outcome) == ("Invoices late", "high", "Pay within 30 days")
    assert [step["name"] for step in dispute.ladder][0] == "Working level"
    # 5 working days from Wednesday 12:00: the next Wednesday 12:00; the warning at 75 % (3.75 days = 90 h of
    # Wed, Thu, Fri, Mon and 6 h of Tuesday) is Tuesday 06:00, moved into working hours: Tuesday 09:00
    assert dispute.level_due_at == utc(2027, 3, 10, 12)
    assert _timers(founded) == [(WARN_KIND, utc(2027, 3, 9, 9), dispute.timer_epoch),
                                (ESCALATE_KIND, utc(2027, 3, 10, 12), dispute.timer_epoch)]
    with Session(founded) as db:
        [root] = db.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == f"dispute:{dispute.id}:root"))
    assert root.channel == CHANNEL and root.data["title"] == "Invoices late" and root.data["days_left"] == 5.0
    assert _events(founded) == [("raised", "UBOB")]
    assert _raise(founded, actor=DAVE, form=lifecycle.RaiseInput("Scope creep", "Asks beyond the SOW", "1",
                                                                 "medium")) == 2  # numbered per relationship


@pytest.mark.parametrize(("form", "field"), [
    (lifecycle.RaiseInput("  ", "Why", "2", "high"), "title"),
    (lifecycle.RaiseInput("x" * 151, "Why", "2", "high"), "title"),
    (lifecycle.RaiseInput("Late", "", "2", "high"), "description"),
    (lifecycle.RaiseInput("Late", "Why", "2", "urgent"), "severity"),
    (lifecycle.RaiseInput("Late", "Why", "3", "high"), "raising_slot"),
    (lifecycle.RaiseInput("Late", "Why", "1", "high"), "raising_slot"),  # Bob raises for Northwind: not his party
])
def test_a_raise_with_bad_input_names_the_field_and_changes_nothing(founded: Engine, form: lifecycle.RaiseInput,
                                                                    field: str) -> None:
    error = _input_error(founded, lambda db: lifecycle.raise_dispute(db, actor=BOB, form=form, now=NOW))
    assert error.field == field
    assert _counts(founded) == (0, 0, 0, 0)
    assert _raise(founded) == 1  # the number was not used up


def test_observers_and_outsiders_cannot_raise(founded: Engine) -> None:
    assert "Observers follow disputes" in _refused(founded, lambda db: lifecycle.raise_dispute(
        db, actor=OLIVE, form=FORM, now=NOW))
    assert "not in" in _refused(founded, lambda db: lifecycle.raise_dispute(db, actor=URSULA, form=FORM, now=NOW))
    assert _counts(founded) == (0, 0, 0, 0)


def test_the_timer_escalates_at_the_due_time_and_the_next_level_gets_its_own_timers(founded: Engine) -> None:
    _raise(founded)
    run_tick(founded, now=utc(2027, 3, 9, 9, 1))  # the warning: still level 1
    assert (_dispute(founded).level, _events(founded)[-1]) == (0, ("warning", "accord"))
    run_tick(founded, now=utc(2027, 3, 10, 11, 59))
    assert _dispute(founded).level == 0
    run_tick(founded, now=utc(2027, 3, 10, 12, 1))
    dispute = _dispute(founded)
    assert dispute.level == 1 and _events(founded)[-1] == ("escalated", "accord")
    # L2 starts when L1 fell due (not when the tick ran): 10 working days from Wed 10 March 12:00 is Wed 24
    # March 12:00; its warning (7.5 days) Fri 19 March 24:00 (Sat 00:00), moved to Monday 22 March 09:00
    assert dispute.level_started_at == utc(2027, 3, 10, 12) and dispute.level_due_at == utc(2027, 3, 24, 12)
    assert _live_timers(founded) == [(WARN_KIND, utc(2027, 3, 22, 9)), (ESCALATE_KIND, utc(2027, 3, 24, 12))]
    with transaction(founded) as db:  # what `/accord disputes` shows just after the escalation
        assert lifecycle.list_open(db, actor=CAROL, now=utc(2027, 3, 10, 12, 1))[0].days_left == 10.0


def test_escalating_by_hand_climbs_one_level_with_a_reason_and_voids_the_old_timers(founded: Engine) -> None:
    _raise(founded)
    assert "The reason" in _input_error(founded, lambda db: lifecycle.escalate_now(
        db, actor=CAROL, number=1, reason=" ", now=NOW)).message
    later = NOW + timedelta(hours=1)  # Wednesday 13:00
    with transaction(founded) as db:
        lifecycle.escalate_now(db, actor=CAROL, number=1, reason="No answer from the working level", now=later)
    dispute = _dispute(founded)
    assert (dispute.level, dispute.level_started_at, dispute.level_due_at) == (1, later, utc(2027, 3, 17, 13))
    assert _live_timers(founded) == [(WARN_KIND, utc(2027, 3, 15, 9)), (ESCALATE_KIND, utc(2027, 3, 17, 13))]
    run_tick(founded, now=utc(2027, 3, 10, 12, 1))  # L1's old escalation time: void
    assert _dispute(founded).level == 1
    with transaction(founded) as db:
        lifecycle.escalate_now(db, actor=CAROL, number=1, reason="Managers stuck", now=later)
        lifecycle.escalate_now(db, actor=CAROL, number=1, reason="SERs stuck", now=later)
    dispute = _dispute(founded)
    assert dispute.level == 3 and dispute.level_due_at is None  # Mediation: nothing above, no clock
    assert "at the last level (L4 Mediation)" in _refused(founded, lambda db: lifecycle.escalate_now(
        db, actor=CAROL, number=1, reason="More", now=later))
    assert [k for k, _ in _events(founded)] == ["raised", "escalated", "escalated", "escalated"]


def test_pause_and_resume_keep_the_working_time_left(founded: Engine) -> None:
    _raise(founded)
    friday = utc(2027, 3, 5, 12)  # two of the five working days gone
    assert "Only an SER" in _refused(founded, lambda db: lifecycle.pause(
        db, actor=ALICE, number=1, reason="Talks", now=friday))
    with transaction(founded) as db:
        lifecycle.pause(db, actor=SAM, number=1, reason="Talking it through", now=friday)
    dispute = _dispute(founded)
    assert dispute.status == PAUSED and dispute.paused_remaining == 3 * 86_400
    assert _live_timers(founded) == []
    with transaction(founded) as db:
        assert lifecycle.list_open(db, actor=BOB, now=friday)[0].days_left is None
    assert "resume it first" in _refused(founded, lambda db: lifecycle.escalate_now(
        db, actor=BOB, number=1, reason="x", now=friday))
    assert "already paused" in _refused(founded, lambda db: lifecycle.pause(
        db, actor=SAM, number=1, reason="again", now=friday))
    run_tick(founded, now=utc(2027, 3, 12, 12))  # past the old due time: nothing fires while paused
    assert (_dispute(founded).level, _dispute(founded).status) == (0, PAUSED)
    monday = utc(2027, 3, 15, 12)
    assert "Only an SER" in _refused(founded, lambda db: lifecycle.resume(db, actor=BOB, number=1, now=monday))
    with transaction(founded) as db:
        lifecycle.resume(db, actor=SAM, number=1, now=monday)
    dispute = _dispute(founded)
    # three working days from Monday 12:00: Thursday 12:00; the warning when 1.25 days of the level's 5 are
    # left (after 1.75 days): Wednesday 06:00, moved to 09:00
    assert (dispute.status, dispute.paused_remaining, dispute.level_due_at) == (OPEN, None, utc(2027, 3, 18, 12))
    assert _live_timers(founded) == [(WARN_KIND, utc(2027, 3, 17, 9)), (ESCALATE_KIND, utc(2027, 3, 18, 12))]
    assert "is not paused" in _refused(founded, lambda db: lifecycle.resume(db, actor=SAM, number=1, now=monday))
    assert [k for k, _ in _events(founded)] == ["raised", "paused", "resumed"]


def test_a_resume_with_less_than_a_quarter_left_queues_no_warning(founded: Engine) -> None:
    _raise(founded)
    with transaction(founded) as db:  # paused on Tuesday 9 March 12:00: one day of five left
        lifecycle.pause(db, actor=SAM, number=1, reason="Talks", now=utc(2027, 3, 9, 12))
        lifecycle.resume(db, actor=SAM, number=1, now=utc(2027, 3, 11, 12))
    assert _live_timers(founded) == [(ESCALATE_KIND, utc(2027, 3, 12, 12))]


def test_the_other_party_accepts_a_proposal_and_the_dispute_closes_with_its_timers(founded: Engine) -> None:
    _raise(founded)
    with transaction(founded) as db:
        lifecycle.propose(db, actor=CAROL, number=1, resolution="Pay within 20 days", now=NOW)
    proposal_id = _dispute(founded).proposal_id
    assert "other party decides" in _refused(founded, lambda db: lifecycle.accept(
        db, actor=BOB, number=1, lessons="x", now=NOW))
    assert "Observers" in _refused(founded, lambda db: lifecycle.accept(db, actor=OLIVE, number=1, lessons="x",
                                                                        now=NOW))
    assert "not in" in _refused(founded, lambda db: lifecycle.accept(db, actor=URSULA, number=1, lessons="x",
                                                                     now=NOW))
    assert "replaced or answered" in _refused(founded, lambda db: lifecycle.accept(
        db, actor=DAVE, number=1, lessons="x", now=NOW, proposal=(proposal_id or 0) + 1))
    assert "The lessons learned" in _input_error(founded, lambda db: lifecycle.accept(
        db, actor=DAVE, number=1, lessons="", now=NOW)).message
    assert _dispute(founded).status == OPEN
    with transaction(founded) as db:  # at the working level a member of the other party decides
        lifecycle.accept(db, actor=DAVE, number=1, lessons="Agree terms up front", now=NOW + timedelta(hours=2),
                         proposal=proposal_id)
    dispute = _dispute(founded)
    assert (dispute.status, dispute.resolution, dispute.lessons, dispute.resolved_at) == (
        RESOLVED, "Pay within 20 days", "Agree terms up front", NOW + timedelta(hours=2))
    assert _live_timers(founded) == []
    run_tick(founded, now=utc(2027, 3, 10, 12, 1))
    assert _dispute(founded).level == 0
    assert "is resolved" in _refused(founded, lambda db: lifecycle.propose(
        db, actor=BOB, number=1, resolution="More", now=NOW))
    assert [k for k, _ in _events(founded)] == ["raised", "proposed", "resolved"]


def test_above_the_working_level_a_member_cannot_accept(founded: Engine) -> None:
    _raise(founded)
    with transaction(founded) as db:
        lifecycle.escalate_now(db, actor=BOB, number=1, reason="Stuck", now=NOW)
        lifecycle.propose(db, actor=BOB, number=1, resolution="Split the cost", now=NOW)
    assert "accepted by a manager or above" in _refused(founded, lambda db: lifecycle.accept(
        db, actor=DAVE, number=1, lessons="x", now=NOW))
    with transaction(founded) as db:
        lifecycle.accept(db, actor=ALICE, number=1, lessons="Talk sooner", now=NOW)
    assert _dispute(founded).status == RESOLVED


def test_a_rejected_proposal_leaves_the_dispute_open_at_its_level_with_its_clock(founded: Engine) -> None:
    _raise(founded)
    assert "Nobody has proposed" in _refused(founded, lambda db: lifecycle.reject(
        db, actor=DAVE, number=1, reason="", now=NOW))
    with transaction(founded) as db:
        lifecycle.propose(db, actor=CAROL, number=1, resolution="Pay within 20 days", now=NOW)
    timers = _live_timers(founded)
    assert "other party decides" in _refused(founded, lambda db: lifecycle.reject(
        db, actor=CAROL, number=1, reason="", now=NOW))
    with transaction(founded) as db:
        lifecycle.reject(db, actor=DAVE, number=1, reason="Ten days at most", now=NOW)
    dispute = _dispute(founded)
    assert (dispute.status, dispute.level, dispute.proposal, dispute.proposal_slot) == (OPEN, 0, None, None)
    assert _live_timers(founded) == timers and dispute.level_due_at == utc(2027, 3, 10, 12)
    with Session(founded) as db:
        rejected = db.exec(select(DisputeEvent).where(DisputeEvent.kind == "rejected")).one()
    assert rejected.detail == {"resolution": "Pay within 20 days", "reason": "Ten days at most"}
    assert "Nobody has proposed" in _refused(founded, lambda db: lifecycle.accept(
        db, actor=DAVE, number=1, lessons="x", now=NOW))
    run_tick(founded, now=utc(2027, 3, 10, 12, 1))  # the clock kept running: it escalates on time
    assert _dispute(founded).level == 1


def test_a_newer_proposal_replaces_the_older_one(founded: Engine) -> None:
    _raise(founded)
    with transaction(founded) as db:
        lifecycle.propose(db, actor=CAROL, number=1, resolution="Pay within 20 days", now=NOW)
    first = _dispute(founded).proposal_id
    with transaction(founded) as db:  # Northwind counter-proposes: now Southwind decides
        lifecycle.propose(db, actor=DAVE, number=1, resolution="Pay within 25 days", now=NOW)
    assert "replaced or answered" in _refused(founded, lambda db: lifecycle.accept(
        db, actor=CAROL, number=1, lessons="x", now=NOW, proposal=first))
    assert "other party decides" in _refused(founded, lambda db: lifecycle.accept(
        db, actor=ALICE, number=1, lessons="x", now=NOW))
    with transaction(founded) as db:
        lifecycle.accept(db, actor=CAROL, number=1, lessons="Meet halfway", now=NOW)
    assert _dispute(founded).resolution == "Pay within 25 days"


def test_an_unknown_dispute_number_is_an_input_error(founded: Engine) -> None:
    assert "no dispute #7" in _input_error(founded, lambda db: lifecycle.propose(
        db, actor=BOB, number=7, resolution="x", now=NOW)).message
