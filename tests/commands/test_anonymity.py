"""Issue 16, the anonymity proof: no figure Accord publishes, alone or combined with every other, determines
anything about the ratings of fewer people than the threshold.

Hypothesis generates two parties of 1 to 8 people, rounds in which random people answer (some of them twice:
an edit), and reviews held at random moments plus review figures over random, overlapping periods. Every figure
about ratings that Accord published (the rounds' summaries: each party's means with the rounds they rest on,
gaps, changes since the last figures; the reviews: trust per round and per side, behaviour, statement means and
gaps, which the charts draw) becomes a linear equation over the individual ratings, built from what the figure
says it covers and checked against the ratings it claims to summarise. Exact rational arithmetic then checks
that no combination of the ratings of fewer than threshold people lies in their span.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from commands.actor import Actor
from commands.checkins import answers, rounds
from commands.checkins import settings as checkin_settings
from commands.reviews import figures, runs
from commands.rmp import people, setup
from storage.checkins import Round
from storage.engine import transaction
from storage.models import OutboxMessage, WorkItem
from storage.reviews import Review
from storage.rmp import Relationship
from tests.commands.disclosure_algebra import Form, combine, determined_group, mean_form

HOME, PARTNER = "T0HOME", "T0PARTNER"
STATEMENTS = ["I trust the partner", "Commitments are kept"]
START = date(2027, 1, 4)  # a Monday
TOLERANCE = 0.0051  # figures are shown to 2 decimals


@dataclass
class World:
    """The generated facts: who is in which party, and each final rating."""

    channel: str
    slots: dict[str, int] = field(default_factory=dict)  # user -> party slot
    ratings: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # (user, round number) -> ratings
    scale: int = 5

    def block(self, slot: int, numbers: list[int], statement: int) -> Form:
        """The mean of `statement` over the party's final answers in rounds `numbers`."""
        cells = [(user, n, statement) for (user, n) in self.ratings if n in numbers and self.slots[user] == slot]
        assert cells, f"a figure of party {slot} over rounds {numbers} that nobody answered"
        return mean_form(cells)

    def value(self, form: Form) -> float:
        return float(sum(c * self.ratings[(v[0], v[1])][v[2]] for v, c in form.items()))


def _rescaled(world: World, form: Form) -> Form:
    """The linear part of the rescaling to 1-to-5 (the constant reveals nothing)."""
    return combine((Fraction(4, world.scale - 1), form))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    sizes = (draw(st.integers(1, 8)), draw(st.integers(1, 8)))
    threshold = draw(st.sampled_from([3, 3, 4]))
    count = draw(st.integers(2, 5))
    users = {slot: [f"U{slot}P{i}" for i in range(size)] for slot, size in zip((1, 2), sizes, strict=True)}
    everyone = users[1] + users[2]
    plays = []
    for _ in range(count):
        answering = draw(st.lists(st.sampled_from(everyone), unique=True))
        plays.append({user: (draw(st.lists(st.integers(1, 5), min_size=2, max_size=2)),
                             draw(st.booleans()) and draw(st.lists(st.integers(1, 5), min_size=2, max_size=2)))
                      for user in answering})
    reviews = draw(st.lists(st.integers(0, count), max_size=3))  # after how many rounds a review is held
    periods = draw(st.lists(st.tuples(st.integers(0, count), st.integers(0, count)), max_size=3))
    return {"users": users, "threshold": threshold, "plays": plays, "reviews": sorted(reviews), "periods": periods}


def _play(engine: Engine, scenario: dict[str, Any]) -> tuple[World, list[dict[str, Any]], list[dict[str, Any]]]:
    """Run the scenario through the commands; the rounds' published summaries and the reviews' figures."""
    world = World(channel=f"C{uuid.uuid4().hex[:10].upper()}")
    users = scenario["users"]
    teams = {1: HOME, 2: PARTNER}
    now = datetime(2027, 1, 1, 12, tzinfo=UTC)
    first = Actor(users[1][0], HOME, world.channel)
    with transaction(engine) as db:
        setup.configure(db, actor=first, now=now, form=setup.SetupInput(
            name="Anonymity", party_1="North", party_2="South", timezone="UTC",
            checkin_cadence="weekly on monday at 09:00"))
        checkin_settings.save_settings(db, actor=first, now=now, form=checkin_settings.SettingsInput(
            "\n".join(STATEMENTS), "5", "3", str(scenario["threshold"]), "1", "1"))
        for slot, members in users.items():
            for user in members:
                world.slots[user] = slot
                if user != first.user_id:
                    people.join(db, actor=Actor(user, teams[slot], world.channel), now=now)
        relationship = db.exec(select(Relationship).where(Relationship.channel_id == world.channel)).one()
        rid = relationship.id
    reviews_after = list(scenario["reviews"])
    moments = [now]
    for number, play in enumerate(scenario["plays"], start=1):
        with transaction(engine) as db:
            period = START + timedelta(weeks=number - 1)
            opens = WorkItem(kind=rounds.OPEN_KIND, idempotency_key="x", due_at=now,
                             payload={"relationship_id": rid, "period": period.isoformat()})
            rounds.open_round(db, opens, now)
            round_ = db.exec(select(Round).where(Round.relationship_id == rid, Round.period == period)).one()
            round_id, opens_at, closes_at = round_.id, round_.opens_at, round_.closes_at
        for user, (ratings, edit) in play.items():
            for attempt in [ratings, *([edit] if edit else [])]:
                with transaction(engine) as db:
                    answers.submit_answer(db, actor=Actor(user, teams[world.slots[user]], world.channel),
                                          round_id=round_id, ratings={str(i): str(r) for i, r in enumerate(attempt)},
                                          kpi_values={}, comment="", now=opens_at + timedelta(minutes=5))
            world.ratings[(user, number)] = list(edit or ratings)
        with transaction(engine) as db:
            rounds.close_round(db, WorkItem(kind=rounds.CLOSE_KIND, idempotency_key="y", due_at=closes_at,
                                            payload={"round_id": round_id}), closes_at)
        now = closes_at + timedelta(hours=1)
        moments.append(now)
        while reviews_after and reviews_after[0] <= number:
            reviews_after.pop(0)
            with transaction(engine) as db:
                relationship = db.get(Relationship, rid)
                runs.hold(db, relationship, trigger="manual", by=first.user_id, now=now)
                now += timedelta(minutes=1)
    with Session(engine) as db:
        summaries = [row.data["summary"] for row in db.exec(select(OutboxMessage).where(
            OutboxMessage.channel == world.channel, OutboxMessage.view == "checkin_round"))
            if row.data.get("state") == "closed"]
        summaries += [row.data for row in db.exec(select(OutboxMessage).where(
            OutboxMessage.channel == world.channel, OutboxMessage.view == "checkin_details"))]
        published = [review.figures["trust"] for review in db.exec(select(Review).where(Review.relationship_id == rid))]
        relationship = db.get(Relationship, rid)
        for first_index, last_index in scenario["periods"]:  # any period a review could be asked for
            low, high = sorted((first_index, last_index))
            published.append(figures.compute(db, relationship, starts_at=moments[low],
                                              ends_at=moments[high] + timedelta(seconds=1), previous=None)["trust"])
    return world, summaries, published


def _scope(party: dict[str, Any], number: int) -> list[int]:
    """The rounds a party's figure of round `number` says it rests on; a withheld party's would be this round's."""
    return list(party.get("rounds") or [number])


def _round_forms(world: World, summary: dict[str, Any]) -> list[Form]:
    number = summary["round_number"]
    forms: list[Form] = []
    by_name = {}
    for party in summary["parties"]:
        by_name[party["name"]] = party
        for index, shown in enumerate(party["means"]):
            if shown is None:
                continue
            form = world.block(party["slot"], _scope(party, number), index)
            assert abs(world.value(form) - shown) <= TOLERANCE, (party, index)
            forms.append(form)
    for index, gap in enumerate(summary["gaps"]):
        if gap is not None:
            a, b = (world.block(p["slot"], _scope(p, number), index) for p in summary["parties"])
            assert abs(abs(world.value(a) - world.value(b)) - gap) <= 2 * TOLERANCE
            forms.append(combine((1, a), (-1, b)))
    for change in summary["changes"]:
        party = by_name[change["party"]]
        index = summary["statements"].index(change["statement"])
        before = world.block(party["slot"], change["rounds_before"], index)
        after = world.block(party["slot"], change["rounds_after"], index)
        assert abs(world.value(before) - change["before"]) <= TOLERANCE
        forms.append(combine((1, after), (-1, before)))
    return forms


def _review_forms(world: World, trust: dict[str, Any]) -> list[Form]:
    """Review figures are means of the published blocks' (rescaled) means."""
    forms: list[Form] = []
    per_side: dict[int, list[tuple[Form, Form]]] = defaultdict(list)  # slot -> (trust form, behaviour form)
    per_statement: dict[tuple[int, int], list[Form]] = defaultdict(list)
    for point in trust["series"]:
        for slot_text, shown in point["trust"].items():
            if shown is None:
                continue
            slot = int(slot_text)
            scope = point.get("blocks", {}).get(slot_text) or [point["round"]]
            trust_form = _rescaled(world, world.block(slot, scope, 0))
            behaviour_form = _rescaled(world, world.block(slot, scope, 1))
            assert abs(world.value(trust_form) + 1 - Fraction(4, world.scale - 1) - shown) <= TOLERANCE * 4
            forms.append(trust_form)
            per_side[slot].append((trust_form, behaviour_form))
            for index in range(len(STATEMENTS)):
                per_statement[(slot, index)].append(_rescaled(world, world.block(slot, scope, index)))
    for side in trust["parties"]:
        pairs = per_side[side["slot"]]
        assert side["rounds_counted"] == len(pairs)
        if side["trust"] is not None:
            forms.append(combine(*((Fraction(1, len(pairs)), t) for t, _ in pairs)))
        if side["behaviour"] is not None:
            forms.append(combine(*((Fraction(1, len(pairs)), b) for _, b in pairs)))
    for statement in trust["statements"]:
        index = STATEMENTS.index(statement["statement"])
        for side, shown in zip(trust["parties"], statement["means"], strict=True):
            if shown is not None:
                blocks = per_statement[(side["slot"], index)]
                forms.append(combine(*((Fraction(1, len(blocks)), f) for f in blocks)))
    return forms


@pytest.mark.sqlite_only("tests/scenarios/test_checkin_answers.py::test_a_quarter_of_check_ins")
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=scenarios())
def test_no_published_figure_singles_out_fewer_people_than_the_threshold(
    engine: Engine, scenario: dict[str, Any]
) -> None:
    world, summaries, reviews = _play(engine, scenario)
    forms = [form for summary in summaries for form in _round_forms(world, summary)]
    forms += [form for trust in reviews for form in _review_forms(world, trust)]
    exposed = determined_group(forms, scenario["threshold"])
    assert exposed is None, f"the published figures determine a combination of the ratings of {sorted(exposed)}"


def test_a_party_of_two_is_never_published_and_a_party_of_three_is_pooled_over_rounds(engine: Engine) -> None:
    """Small parties still get results where that is safe: three people of a party of three answering over two
    rounds (two, then one) are published pooled; a party of two never is."""
    scenario = {"users": {1: ["U1P0", "U1P1", "U1P2"], 2: ["U2P0", "U2P1"]}, "threshold": 3, "reviews": [2],
                "periods": [], "plays": [
                    {"U1P0": ([4, 4], False), "U1P1": ([2, 3], False), "U2P0": ([5, 5], False),
                     "U2P1": ([1, 1], False)},
                    {"U1P2": ([3, 5], False), "U2P0": ([4, 4], False), "U2P1": ([2, 2], False)}]}
    world, summaries, reviews = _play(engine, scenario)
    closed = {s["round_number"]: {p["name"]: p for p in s["parties"]} for s in summaries if "gaps" in s}
    assert closed[1]["North"]["withheld"] and closed[1]["South"]["withheld"]
    assert closed[2]["North"]["rounds"] == [1, 2] and closed[2]["North"]["means"] == [3.0, 4.0]
    assert closed[2]["South"]["withheld"] and all(m is None for m in closed[2]["South"]["means"])
    [trust] = reviews
    assert [side["rounds_counted"] for side in trust["parties"]] == [1, 0]
    forms = [form for summary in summaries for form in _round_forms(world, summary)]
    assert forms and determined_group(forms, 3) is None
