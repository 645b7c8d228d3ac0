"""The check-in use cases called directly, on SQLite and PostgreSQL: opening a round (who is prompted), answering
(ratings in range, KPI values, answering again replaces), skipping and being away, closing with the summary's
disclosure rule (no party figure from fewer than the threshold of people), and the settings form's checks.

Northwind: Alice (manager), Dave, Sam, Lena (who leaves before the round). Southwind: Bob (manager), Carol, Erin,
Olive (observer). Both in London, Monday to Friday; rounds every 2 weeks on Monday at 09:30; six statements rated
1 to 5; a party's means are shown from 3 people. KPI 1 (leads) is reported by Northwind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.checkins import answers, choices, rounds, settings, summary
from commands.consent import decisions
from commands.errors import InputError, Refused
from commands.rmp import kpis, leaving, people, setup
from storage.checkins import ASKED, AWAY, CLOSED, SKIPPED, Answer, Prompt, Result, Round
from storage.engine import transaction
from storage.models import WorkItem
from storage.rmp import KpiValue, Proposal, Relationship

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)  # Wednesday
CHANNEL, HOME, PARTNER = "C0CHECKIN", "T0HOME", "T0PARTNER"
ALICE, DAVE, SAM, LENA = (Actor(u, HOME, CHANNEL) for u in ("UALICE", "UDAVE", "USAM", "ULENA"))
BOB, CAROL, ERIN, OLIVE = (Actor(u, PARTNER, CHANNEL) for u in ("UBOB", "UCAROL", "UERIN", "UOLIVE"))
LONDON = setup.CalendarInput("Europe/London")
SETUP = setup.SetupInput(name="NW–SW", party_1="Northwind", party_2="Southwind", timezone="Europe/London",
                         calendars=(LONDON, LONDON))
PERIOD = date(2027, 3, 15)  # the first round: Monday 15 March (every 2 weeks on Monday, from the epoch's Monday)
OPENED = datetime(2027, 3, 15, 9, 30, tzinfo=UTC)  # 09:30 in London (GMT)
SIX = {str(i): "4" for i in range(6)}

# the use cases' logic, on SQLite: the scenarios (tests/scenarios/) play the same commands on both databases
pytestmark = pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)


@pytest.fixture
def opened(engine: Engine) -> Engine:
    """The relationship with its people and KPI, and its first round open."""
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=SETUP, now=NOW)
        for actor in (DAVE, SAM, LENA, BOB, CAROL, ERIN, OLIVE):
            people.join(db, actor=actor, now=NOW)
        people.set_role(db, actor=BOB, text_args="<@UOLIVE> observer", now=NOW)
        leaving.leave(db, actor=LENA, text_args="", now=NOW)
        saved = kpis.save_kpi(db, actor=ALICE, kpi_number=None, now=NOW, form=kpis.KpiInput(
            "Qualified leads", "leads", "higher", "40", "20", "1", "1"))
        if isinstance(saved, Proposal):  # a shared KPI may wait for Southwind's approval
            decisions.approve(db, actor=BOB, number=saved.number, now=NOW)
    with transaction(engine) as db:
        [item] = db.exec(select(WorkItem).where(WorkItem.kind == rounds.OPEN_KIND, WorkItem.status == "pending"))
        assert item.payload["period"] == PERIOD.isoformat()
        rounds.open_round(db, item, OPENED)
    return engine


def _round(engine: Engine) -> Round:
    with Session(engine) as db:
        return db.exec(select(Round)).one()


def _prompts(engine: Engine) -> dict[str, str]:
    with Session(engine) as db:
        return {p.user_id: p.status for p in db.exec(select(Prompt))}


def _answers(engine: Engine) -> dict[str, list[int]]:
    with Session(engine) as db:
        return {a.user_id: list(a.ratings) for a in db.exec(select(Answer))}


def _answer(engine: Engine, actor: Actor, ratings: dict[str, str] | None = None, *, kpi: dict[str, str] | None = None,
            comment: str = "", now: datetime = OPENED) -> bool:
    with transaction(engine) as db:
        return answers.submit_answer(db, actor=actor, round_id=_round_id(db), ratings=ratings or SIX,
                                     kpi_values=kpi or {}, comment=comment, now=now)[1]


def _round_id(db: Session) -> int:
    return db.exec(select(Round.id)).one() or 0


def _close(engine: Engine) -> summary.Summary:
    round_ = _round(engine)
    with transaction(engine) as db:
        item = WorkItem(kind=rounds.CLOSE_KIND, payload={"round_id": round_.id}, due_at=round_.closes_at,
                        idempotency_key="test", created_at=round_.closes_at)
        rounds.close_round(db, item, round_.closes_at)
    with transaction(engine) as db:
        return summary.summarise(db, db.exec(select(Round)).one())


def _raises(engine: Engine, error: type[Exception], run: Callable[[Session], object]) -> Exception:
    with pytest.raises(error) as raised, transaction(engine) as db:
        run(db)
    return raised.value


def test_a_round_prompts_everyone_but_observers_and_people_who_left(opened: Engine) -> None:
    round_ = _round(opened)
    assert (round_.number, round_.period, round_.status, round_.scale, round_.min_respondents) == (
        1, PERIOD, "open", 5, 3)
    assert _prompts(opened) == {u: ASKED for u in ("UALICE", "UDAVE", "USAM", "UBOB", "UCAROL", "UERIN")}
    # the window: 3 joint working days from the prompts (Mon 09:30), inside shared working hours
    assert round_.opens_at == OPENED and round_.closes_at == datetime(2027, 3, 18, 9, 30, tzinfo=UTC)
    prompted = sorted(_prompts(opened))
    with Session(opened) as db:  # one prompt item for everyone due at 09:30 London time
        [prompt] = db.exec(select(WorkItem).where(WorkItem.kind == rounds.PROMPT_KIND))
        assert prompt.due_at == OPENED and sorted(prompt.payload["user_ids"]) == prompted
        # and the next round is queued two weeks on (opened a day early in UTC+14, as every round is)
        pending = db.exec(select(WorkItem).where(WorkItem.kind == rounds.OPEN_KIND, WorkItem.status == "pending"))
        assert "2027-03-29" in [i.payload["period"] for i in pending]
    assert "Observers" in str(_raises(opened, Refused, lambda db: answers.answer_form(
        db, actor=OLIVE, round_id=None, now=OPENED)))
    assert "no longer in" in str(_raises(opened, Refused, lambda db: answers.answer_form(
        db, actor=LENA, round_id=None, now=OPENED)))


@pytest.mark.parametrize(("ratings", "field"), [
    ({**SIX, "2": "0"}, "stmt_2"), ({**SIX, "5": "6"}, "stmt_5"), ({**SIX, "0": "3.5"}, "stmt_0"),
    ({**SIX, "1": "lots"}, "stmt_1"), ({k: v for k, v in SIX.items() if k != "4"}, "stmt_4"),
])
def test_a_rating_outside_the_scale_names_the_statement_and_saves_nothing(opened: Engine, ratings: dict[str, str],
                                                                          field: str) -> None:
    error = _raises(opened, InputError, lambda db: answers.submit_answer(
        db, actor=DAVE, round_id=_round_id(db), ratings=ratings, kpi_values={}, comment="", now=OPENED))
    assert isinstance(error, InputError) and error.field == field and "from 1 to 5" in error.message
    assert _answers(opened) == {}


def test_answering_again_replaces_the_answer_and_kpi_values_are_recorded_for_the_period(opened: Engine) -> None:
    bad = _raises(opened, InputError, lambda db: answers.submit_answer(
        db, actor=ALICE, round_id=_round_id(db), ratings=SIX, kpi_values={"1": "many"}, comment="", now=OPENED))
    assert isinstance(bad, InputError) and bad.field == "kpi_1"
    assert _answer(opened, ALICE, kpi={"1": "35"}) is False
    assert _answer(opened, ALICE, {**SIX, "0": "1"}, kpi={"1": "37.5"}, comment="Slow week") is True
    assert _answers(opened) == {"UALICE": [1, 4, 4, 4, 4, 4]}  # one answer, the latest
    with Session(opened) as db:
        assert [(v.period, v.value) for v in db.exec(select(KpiValue))] == [(PERIOD, 37.5)]
        assert db.exec(select(Answer)).one().comment == "Slow week"
    # the partner does not report that KPI: a value from Bob is not taken
    _answer(opened, BOB, kpi={"1": "99"})
    with Session(opened) as db:
        assert [v.value for v in db.exec(select(KpiValue))] == [37.5]
    after = datetime(2027, 3, 18, 9, 30, tzinfo=UTC)  # the round's close
    assert "closed" in str(_raises(opened, Refused, lambda db: answers.submit_answer(
        db, actor=DAVE, round_id=_round_id(db), ratings=SIX, kpi_values={}, comment="", now=after)))


def test_skipping_and_being_away_take_people_out_of_the_asked_count(opened: Engine) -> None:
    with transaction(opened) as db:
        choices.skip(db, actor=CAROL, round_id=None, now=OPENED)
        away = choices.set_away(db, actor=ERIN, until="2027-03-20", now=OPENED)
    assert away.rounds == 1
    _answer(opened, DAVE)
    assert "you can change your answer" in str(_raises(opened, Refused, lambda db: choices.skip(
        db, actor=DAVE, round_id=None, now=OPENED)))
    assert _prompts(opened) == {"UALICE": ASKED, "UDAVE": ASKED, "USAM": ASKED, "UBOB": ASKED, "UCAROL": SKIPPED,
                                "UERIN": AWAY}
    _answer(opened, CAROL)  # answering after skipping still counts
    result = _close(opened)
    northwind, southwind = result.parties
    assert (northwind.invited, northwind.answered, northwind.skipped, northwind.away) == (3, 1, 0, 0)
    assert (southwind.invited, southwind.answered, southwind.skipped, southwind.away) == (2, 1, 0, 1)


def test_the_summary_shows_a_partys_means_only_from_the_threshold_of_people(opened: Engine) -> None:
    _answer(opened, ALICE, {**SIX, "0": "5", "1": "2"})
    _answer(opened, DAVE, {**SIX, "0": "4", "1": "2"})
    _answer(opened, SAM, {**SIX, "0": "3", "1": "5"})
    _answer(opened, BOB, {**SIX, "0": "1"})
    _answer(opened, CAROL, {**SIX, "0": "1"})  # two of Southwind's people: fewer than three
    result = _close(opened)
    assert _round(opened).status == CLOSED
    northwind, southwind = result.parties
    assert (northwind.withheld, northwind.people, northwind.means[:2]) == (False, 3, [4.0, 3.0])
    assert southwind.withheld and southwind.means == [None] * 6 and southwind.answered == 2
    assert result.gaps == [None] * 6 and not any(result.flagged)  # no gap from a withheld party
    with Session(opened) as db:  # nothing of Southwind's ratings is kept for later figures either
        kept = {r.party_slot: r for r in db.exec(select(Result))}
    assert kept[2].rounds == [] and kept[2].means == [] and kept[1].rounds == [1]
    assert "closed" in str(_raises(opened, Refused, lambda db: answers.answer_form(
        db, actor=ERIN, round_id=None, now=OPENED)))


def test_with_three_people_on_each_side_the_gap_is_shown_and_flagged(opened: Engine) -> None:
    for actor in (ALICE, DAVE, SAM):
        _answer(opened, actor, {**SIX, "0": "5"})
    for actor in (BOB, CAROL, ERIN):
        _answer(opened, actor, {**SIX, "0": "2"})
    result = _close(opened)
    assert [p.means[0] for p in result.parties] == [5.0, 2.0]
    assert result.gaps[0] == 3.0 and result.flagged[0] and result.gaps[1:] == [0.0] * 5 and not any(result.flagged[1:])


def _settings(engine: Engine) -> tuple[list[str], int, int, int]:
    with Session(engine) as db:
        r = db.exec(select(Relationship)).one()
        return list(r.checkin_statements), r.checkin_scale, r.checkin_window_days, r.checkin_min_respondents


@pytest.mark.parametrize(("form", "field"), [
    (settings.SettingsInput("", "5", "3", "3", "1", "1"), "statements"),
    (settings.SettingsInput("\n".join(f"S{i}" for i in range(13)), "5", "3", "3", "1", "1"), "statements"),
    (settings.SettingsInput("Same\nSame", "5", "3", "3", "1", "1"), "statements"),
    (settings.SettingsInput("x" * 151, "5", "3", "3", "1", "1"), "statements"),
    (settings.SettingsInput("We deliver", "2", "3", "3", "1", "1"), "scale"),
    (settings.SettingsInput("We deliver", "11", "3", "3", "1", "1"), "scale"),
    (settings.SettingsInput("We deliver", "5", "0", "3", "1", "1"), "window_days"),
    (settings.SettingsInput("We deliver", "5", "21", "3", "1", "1"), "window_days"),
    (settings.SettingsInput("We deliver", "5", "3", "2", "1", "1"), "min_respondents"),
    (settings.SettingsInput("We deliver", "5", "3", "3", "0.05", "1"), "gap_threshold"),
    (settings.SettingsInput("We deliver", "5", "3", "3", "5", "1"), "gap_threshold"),
    (settings.SettingsInput("We deliver", "5", "3", "3", "1", "2"), "reminders"),
])
def test_settings_refuse_bad_values_naming_the_field_and_change_nothing(opened: Engine, form: settings.SettingsInput,
                                                                        field: str) -> None:
    before = _settings(opened)
    error = _raises(opened, InputError, lambda db: settings.save_settings(db, actor=ALICE, form=form, now=NOW))
    assert isinstance(error, InputError) and error.field == field
    assert _settings(opened) == before


def test_new_settings_wait_for_the_partner_and_apply_from_the_next_round(opened: Engine) -> None:
    assert "SERs and managers" in str(_raises(opened, Refused, lambda db: settings.save_settings(
        db, actor=DAVE, form=settings.SettingsInput("We deliver", "7", "4", "4", "1.5", "0"), now=NOW)))
    with transaction(opened) as db:
        saved = settings.save_settings(db, actor=ALICE, now=NOW,
                                       form=settings.SettingsInput("We deliver\nWe trust", "7", "4", "4", "1.5", "0"))
    assert saved.proposal is not None and _settings(opened)[1] == 5  # waiting for Southwind
    with transaction(opened) as db:
        decisions.approve(db, actor=BOB, number=saved.proposal.number, now=NOW)
    assert _settings(opened) == (["We deliver", "We trust"], 7, 4, 4)
    assert (_round(opened).scale, len(_round(opened).statements)) == (5, 6)  # the open round keeps its own
    with transaction(opened) as db:  # the same values again: nothing to change
        again = settings.save_settings(db, actor=ALICE, now=NOW,
                                       form=settings.SettingsInput("We deliver\nWe trust", "7", "4", "4", "1.5", "0"))
    assert not again.changed and again.proposal is None
    with Session(opened) as db:
        assert len(db.exec(select(Round).where(col(Round.status) == "open")).all()) == 1
