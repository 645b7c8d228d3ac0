"""The plan's rules as pure functions: RAG, cadences across DST, ladders, exit triggers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine

from commands.actor import Actor
from commands.calendar import JointCalendar, PartyCalendar, next_occurrence, parse_cadence, zone
from commands.errors import InputError
from commands.rmp import exits, kpis, setup
from commands.rmp.kpis import KpiInput
from storage.engine import transaction
from storage.rmp import ExitTrigger, Kpi

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ALICE = Actor("UALICE", "T0HOME", "C0SHARED")


def calendar_of(working_days: list[int], holidays: list[str]) -> JointCalendar:
    """Both parties on one calendar."""
    one = PartyCalendar(zone("UTC"), frozenset(working_days), holidays=frozenset(date.fromisoformat(d)
                                                                                  for d in holidays))
    return JointCalendar((one, one))


def _kpi(direction: str, target: float, amber: float, red: float) -> Kpi:
    return Kpi(relationship_id=1, number=1, name="k", direction=direction, target=target, amber=amber, red=red,
               owner_slot=1, reporter_slot=1)


# the KPIs keep an amber threshold past the target as KPIs stored before 0011 had: it no longer colours anything
@pytest.mark.parametrize(("value", "expected"), [(96, "green"), (95, "green"), (94, "amber"), (92, "amber"),
                                                 (80, "amber"), (79.9, "red")])
def test_rag_when_higher_is_better(value: float, expected: str) -> None:
    """Green at or above the target (95), amber short of it down to red (80), red below that."""
    assert kpis.rag(_kpi("higher", 95, 90, 80), value) == expected
    assert kpis.colour(value, direction="higher", target=95, red=80) == expected


@pytest.mark.parametrize(("value", "expected"), [(1, "green"), (2, "green"), (2.1, "amber"), (3, "amber"),
                                                 (5, "amber"), (5.1, "red")])
def test_rag_when_lower_is_better(value: float, expected: str) -> None:
    """Green at or below the target (2), amber above it up to red (5), red above that."""
    assert kpis.rag(_kpi("lower", 2, 3, 5), value) == expected


def test_fortnightly_cadence_keeps_local_time_across_daylight_saving() -> None:
    cadence = parse_cadence("every 2 weeks on monday at 09:30", field="c")
    london, calendar = zone("Europe/London"), calendar_of([0, 1, 2, 3, 4], [])
    moment = datetime(2026, 3, 10, tzinfo=UTC)
    seen = []
    for _ in range(3):
        moment = next_occurrence(cadence, moment, london, calendar)
        seen.append(moment.astimezone(london))
    assert [m.strftime("%a %d %b %H:%M") for m in seen] == ["Mon 16 Mar 09:30", "Mon 30 Mar 09:30",
                                                           "Mon 13 Apr 09:30"]
    assert [m.utcoffset().total_seconds() / 3600 for m in seen] == [0, 1, 1]  # GMT, then BST


def test_first_working_day_skips_weekends_and_holidays() -> None:
    cadence = parse_cadence("monthly on the first working day at 10:00", field="c")
    calendar = calendar_of([0, 1, 2, 3, 4], ["2027-02-01"])
    first = next_occurrence(cadence, NOW, zone("UTC"), calendar)
    second = next_occurrence(cadence, first, zone("UTC"), calendar)
    assert first.date() == date(2026, 12, 1) and second.date() == date(2027, 1, 1)
    third = next_occurrence(cadence, second, zone("UTC"), calendar)
    assert third.date() == date(2027, 2, 2)  # 1 Feb is a holiday


@pytest.mark.parametrize("text", ["sometimes", "every 9 weeks on monday at 09:00", "weekly on funday at 09:00",
                                  "weekly on monday at 25:00"])
def test_bad_cadences_are_refused(text: str) -> None:
    with pytest.raises(InputError) as error:
        parse_cadence(text, field="checkin_cadence")
    assert error.value.field == "checkin_cadence"


def test_ladder_parsing() -> None:
    assert setup.parse_ladder("L1 | 5\nL2 | 10\nMediation") == [
        {"name": "L1", "days": 5}, {"name": "L2", "days": 10}, {"name": "Mediation", "days": None}]
    for bad in ("One", "A | 5\nB | 0\nC", "A | x\nB", "\n".join(f"L{n} | 1" for n in range(7))):
        with pytest.raises(InputError):
            setup.parse_ladder(bad)


def test_exit_triggers_on_kpi_red_streaks_and_dates(engine: Engine) -> None:
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=setup.SetupInput(name="R", party_1="A", party_2="B"), now=NOW)
        kpi = kpis.save_kpi(db, actor=ALICE, form=KpiInput("Uptime", "%", "higher", "99", "95", "1", "1"),
                            kpi_number=None, now=NOW)
        red_streak = exits.save_trigger(db, actor=ALICE, now=NOW, number=None, form=exits.ExitInput(
            kind="kpi_red", description="Uptime red 2 months", kpi="1", periods="2"))
        dated = exits.save_trigger(db, actor=ALICE, now=NOW, number=None, form=exits.ExitInput(
            kind="date", description="Contract end", on_date="2027-06-30"))
        with pytest.raises(InputError) as unknown:
            exits.save_trigger(db, actor=ALICE, now=NOW, number=None, form=exits.ExitInput(
                kind="kpi_red", description="x", kpi="7", periods="2"))
        assert unknown.value.field == "kpi" and "no KPI #7" in unknown.value.message

        def state(trigger: ExitTrigger, today: date) -> str:
            return exits.current_status(db, trigger, relationship_id=kpi.relationship_id, today=today)

        assert state(red_streak, date(2026, 12, 1)) == "clear"
        kpis.record_value(db, kpi, value=90, period=date(2026, 10, 1), user_id="UALICE", now=NOW)
        assert state(red_streak, date(2026, 12, 1)) == "clear"  # one red period is not two
        kpis.record_value(db, kpi, value=94, period=date(2026, 11, 1), user_id="UALICE", now=NOW)
        assert state(red_streak, date(2026, 12, 1)) == "triggered"
        kpis.record_value(db, kpi, value=99.5, period=date(2026, 12, 1), user_id="UALICE", now=NOW)
        assert state(red_streak, date(2026, 12, 1)) == "clear"
        assert state(dated, date(2027, 6, 29)) == "clear" and state(dated, date(2027, 6, 30)) == "triggered"
        assert exits.mark_reviewed(db, actor=ALICE, now=NOW) == date(2026, 11, 25)
