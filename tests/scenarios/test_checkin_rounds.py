"""Check-in rounds on their cadence: each prompt at the participant's own local time across
daylight-saving changes, exactly once per person per round through restarts and racing ticks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from storage.checkins import Prompt, Round
from storage.utc import parse_instant
from tests.harness import Harness
from tests.scenarios.checkin_steps import prompts, racing_ticks, tick
from tests.scenarios.plan_steps import join, set_up

NEW_YORK, LONDON = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")


def _local(at: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M")


@pytest.mark.postgres
def test_prompts_arrive_at_each_persons_local_time_across_dst_exactly_once(harness: Harness) -> None:
    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    join(harness, "UBOB")  # Southwind, New York (US clocks change on 14 March 2027)
    join(harness, "UCAROL")  # Southwind, no timezone shared: the relationship's (London; UK changes 28 March)
    harness.sender.drain()  # the users.info lookups record each person's timezone

    # Round 1, Monday 8 March: London 09:30 = 09:30Z, New York 09:30 EST = 14:30Z
    tick(harness, "2027-03-08T09:29:00Z")
    assert prompts(harness, "UALICE", 1) == [] and prompts(harness, "UBOB", 1) == []
    tick(harness, "2027-03-08T09:31:00Z")
    tick(harness, "2027-03-08T09:31:00Z")  # a restart mid-round: nobody is prompted twice
    assert len(prompts(harness, "UALICE", 1)) == 1 and len(prompts(harness, "UCAROL", 1)) == 1
    assert prompts(harness, "UBOB", 1) == []
    tick(harness, "2027-03-08T14:29:00Z")
    assert prompts(harness, "UBOB", 1) == []
    racing_ticks(harness, "2027-03-08T14:31:00Z")
    [bob] = prompts(harness, "UBOB", 1)
    assert prompts(harness, "UBOB", 1)[0]["channel"] == bob["channel"]

    # Round 2, Monday 15 March: New York is on EDT now, so 09:30 there is 13:30Z; London unchanged
    tick(harness, "2027-03-15T09:31:00Z")
    assert len(prompts(harness, "UALICE", 2)) == 1 and prompts(harness, "UBOB", 2) == []
    racing_ticks(harness, "2027-03-15T13:31:00Z", count=3)
    assert len(prompts(harness, "UBOB", 2)) == 1

    # Round 4, Monday 29 March: London is on BST, so 09:30 there is 08:30Z
    tick(harness, "2027-03-28T12:00:00Z")
    tick(harness, "2027-03-29T08:31:00Z")
    assert len(prompts(harness, "UALICE", 4)) == 1 and len(prompts(harness, "UCAROL", 4)) == 1
    tick(harness, "2027-03-29T13:31:00Z")
    assert len(prompts(harness, "UBOB", 4)) == 1

    with Session(harness.engine) as db:
        rounds = {r.number: r for r in db.exec(select(Round))}
        due = {(p.round_id, p.user_id): p.due_at for p in db.exec(select(Prompt))}
    assert sorted(rounds) == [1, 2, 3, 4]  # round 5 (5 April) opens on 4 April at 10:00Z, not yet
    for number in (1, 2, 4):
        assert due[(rounds[number].id, "UALICE")].astimezone(LONDON).strftime("%H:%M") == "09:30"
        assert due[(rounds[number].id, "UBOB")].astimezone(NEW_YORK).strftime("%H:%M") == "09:30"
    assert [due[(rounds[n].id, "UBOB")].strftime("%H:%M") for n in (1, 2, 4)] == ["14:30", "13:30", "13:30"]
    assert [due[(rounds[n].id, "UALICE")].strftime("%H:%M") for n in (1, 2, 4)] == ["09:30", "09:30", "08:30"]
    for number in (1, 2, 3, 4):  # exactly one prompt per person per round, however the ticks ran
        for user in ("UALICE", "UBOB", "UCAROL"):
            assert len(prompts(harness, user, number)) == 1, (user, number)
