"""Measuring the noise of check-ins (issue 16, point 6): one simulated quarter of the default cadence with six
participants, three per party, counting what Accord posts in the shared channel and what reaches each person,
round by round, whether everybody answers or nobody does, and whether the partner organisation lets Accord DM
its people or not (then their prompts are shown only to them in the shared channel).

The figures are printed (`pytest -s`); the test holds the product to at most two top-level posts per round (a
review's summary aside) and at most two messages per person per round, and, when nobody answers, to exactly
the prompt and one reminder each.

How the quarter is simulated: the harness is ticked at each moment work falls due (a pending work item's due
time, or the working hours a pending message waits for), and, when everybody answers, each person answers
through the real modal half an hour after their prompt reached them. Every call the fake records is placed at
the simulated moment of the tick or answer that caused it, and so in a round: from its opening to the next's."""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.fakeslack.state import Call
from commands.checkins.rounds import EARLIEST_OFFSET
from storage.checkins import Answer, Round
from storage.models import PENDING, SENT, OutboxMessage, WorkItem
from storage.rmp import Relationship
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import answer, dm_channels, dm_recipient
from tests.scenarios.plan_steps import join, set_up

NORTH = ("UALICE", "UERIN", "UHANK")  # Northwind, Accord's home organisation (London)
SOUTH = ("UBOB", "UCAROL", "UJOE")  # Southwind, the partner (Bob in New York, the others in their party's zone)
PEOPLE = (*NORTH, *SOUTH)
# Monday 4 January 2027, before 09:30 London: the default cadence (every 2 weeks on Monday at 09:30, counted
# from Monday 5 January 1970) has a round that very day, and the default review cadence (quarterly on the first
# working day at 10:00) one on Thursday 1 April
START = parse_instant("2027-01-04T08:00:00Z")
QUARTER = timedelta(weeks=13)
ANSWER_AFTER = timedelta(minutes=30)  # everybody answers half an hour after their prompt reached them
THANKS = re.compile(r"^Thank you: your check-in for round \d+ is (recorded|updated)\.")
SET_UP = "set-up"  # the actor of the calls made while the relationship is set up, before the quarter's work
MAX_POSTS = 2  # top-level posts in the shared channel per round, a review's summary aside
MAX_MESSAGES = 2  # messages reaching a person per round


@dataclass
class Quarter:
    """The simulated quarter: which simulated moment (and whose action, if any) each recorded call came from."""

    harness: Harness
    segments: list[tuple[int, datetime, str | None]] = field(default_factory=list)  # (first call, moment, actor)
    answered: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))  # round number -> users

    def _mark(self, moment: datetime, actor: str | None) -> None:
        self.segments.append((len(self.harness.fake.calls), moment, actor))

    def set_up(self) -> None:
        """The relationship set up at START with the default cadences; Alice and Bob their parties' SERs."""
        self._mark(START, SET_UP)
        self.harness.clock.now = START
        assert set_up(self.harness).status_code == 200
        for user in PEOPLE[1:]:
            join(self.harness, user)
        for user in ("UALICE", "UBOB"):
            assert "is now" in self.harness.driver.slash(user, CHANNEL, f"role <@{user}> ser").json()["text"]
        self.harness.sender.drain()  # and their Slack time zones looked up

    def tick(self, moment: datetime) -> None:
        self._mark(moment, None)
        self.harness.clock.now = moment
        work, sent = self.harness.tick(moment)
        assert not work.failed and not work.retried, work
        assert not sent.failed and not sent.retried, sent

    def answer(self, user: str, moment: datetime, number: int) -> None:
        """`user` answers round `number` through the modal; what Accord tells them about it is marked theirs."""
        self._mark(moment, user)
        response = answer(self.harness, user, moment.isoformat(), [4, 4, 3, 4, 4, 4])
        assert response.status_code == 200 and response.text == "", (user, number, response.text)
        sent = self.harness.sender.drain()
        assert not sent.failed and not sent.retried, sent
        self.answered[number].add(user)

    def placed(self) -> list[tuple[Call, datetime, str | None]]:
        """Every call recorded since the quarter began, with its simulated moment and actor."""
        calls = self.harness.fake.calls
        bounds = [start for start, _, _ in self.segments[1:]] + [len(calls)]
        return [
            (call, moment, actor)
            for (start, moment, actor), end in zip(self.segments, bounds, strict=True)
            for call in calls[start:end]
        ]


def _next_due(harness: Harness, after: datetime) -> datetime | None:
    """The first moment after `after` when due work or a message held for working hours falls due."""
    with Session(harness.engine) as db:
        late = db.exec(select(WorkItem.kind).where(WorkItem.status == PENDING, WorkItem.due_at <= after)).all()
        assert not late, f"due work left undone at {after}: {late}"
        work = db.exec(
            select(WorkItem.due_at)
            .where(WorkItem.status == PENDING, WorkItem.due_at > after)
            .order_by(col(WorkItem.due_at))
            .limit(1)
        ).first()
        held = db.exec(
            select(OutboxMessage.not_before)
            .where(OutboxMessage.status == PENDING, col(OutboxMessage.not_before) > after)
            .order_by(col(OutboxMessage.not_before))
            .limit(1)
        ).first()
    return min((moment for moment in (work, held) if moment is not None), default=None)


def _text(call: Call) -> str:
    """A call's text and blocks, as one string."""
    blocks = call.args.get("blocks")
    return f"{call.args.get('text') or ''}\n{blocks if isinstance(blocks, str) else json.dumps(blocks)}"


PROMPTED = re.compile(r"^Time for check-in round (\d+) ")


def _prompted(call: Call, dms: dict[str, str]) -> tuple[str, int] | None:
    """(user, round) when `call` delivered a check-in prompt (by DM, or shown only to them in the channel)."""
    if not call.ok or not (match := PROMPTED.match(call.args.get("text") or "")):
        return None
    if call.method == "chat.postEphemeral":
        return call.args["user"], int(match[1])
    if (user := dm_recipient(call, dms)) is not None:
        return user, int(match[1])
    return None


def _simulate(harness: Harness, *, answers: bool) -> Quarter:
    """Tick through the quarter from START; when `answers`, each person answers each round after its prompt."""
    quarter = Quarter(harness)
    quarter.set_up()
    end = START + QUARTER
    pending: list[tuple[datetime, str, int]] = []  # answers to give: (when, who, round)
    seen = len(harness.fake.calls)
    now = START
    quarter.tick(now)
    while True:
        if answers:  # the prompts that reached people since the last look
            calls, dms = harness.fake.calls, dm_channels(harness)
            for call in calls[seen:]:
                if (prompted := _prompted(call, dms)) is not None:
                    pending.append((now + ANSWER_AFTER, *prompted))
            seen = len(calls)
            pending.sort()
        due = _next_due(harness, now)
        if pending and (due is None or pending[0][0] < due):
            now, user, number = pending.pop(0)
            quarter.answer(user, now, number)
            continue
        if due is None or due >= end:
            break
        now = due
        quarter.tick(now)
    assert not pending
    with Session(harness.engine) as db:  # everything the quarter queued was sent
        unsent = db.exec(
            select(OutboxMessage.idempotency_key).where(
                col(OutboxMessage.status) != SENT,
                (col(OutboxMessage.not_before) <= end) | col(OutboxMessage.not_before).is_(None),
            )
        ).all()
    assert not unsent, unsent
    return quarter


@dataclass
class Figures:
    """What the quarter sent, by round: from the moment a round's opening falls due to the next's (0: before the
    first; the set-up's calls are kept apart)."""

    rounds: int = 0
    round_posts: Counter[int] = field(default_factory=Counter)  # top-level posts: the round's own message
    review_posts: Counter[int] = field(default_factory=Counter)  # a review's summary
    other_posts: Counter[int] = field(default_factory=Counter)  # any other (the plan's digest, a warning...)
    other_texts: list[str] = field(default_factory=list)
    set_up_posts: list[str] = field(default_factory=list)  # top-level posts while the relationship was set up
    top_level: list[tuple[int, str]] = field(default_factory=list)  # (round, text and blocks): posts and updates
    messages: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # unsolicited, per person
    kinds: Counter[str] = field(default_factory=lambda: Counter(dm=0, ephemeral=0, mention=0))  # how they came
    prompts: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    reminders: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    replies: Counter[str] = field(default_factory=Counter)  # what a person was told about their own answer
    updates: Counter[str] = field(default_factory=Counter)  # chat.update, in the channel or a DM (no notification)
    refused: Counter[str] = field(default_factory=Counter)  # calls Slack refused, by method


def _round_starts(harness: Harness) -> list[tuple[int, datetime]]:
    """Each round's number and the moment its opening falls due (the start of its share of the quarter)."""
    with Session(harness.engine) as db:
        rounds = db.exec(select(Round.number, Round.period).order_by(col(Round.number))).all()
    return [(number, datetime.combine(period, time(0), UTC) - EARLIEST_OFFSET) for number, period in rounds]


def _round_roots(harness: Harness) -> set[str]:
    """The ts of each round's message in the shared channel."""
    return {
        m["ts"]
        for m in harness.fake.messages(CHANNEL)
        if m.get("thread_ts") in (None, m["ts"]) and re.match(r"Check-in round \d+ of", m["text"])
    }


def _count(harness: Harness, quarter: Quarter) -> Figures:
    starts, roots, dms = _round_starts(harness), _round_roots(harness), dm_channels(harness)
    figures = Figures(rounds=len(starts))
    for call, moment, actor in quarter.placed():
        if not call.ok:  # a DM refused (chat.postMessage to one of the partner's people, without DMs), say
            figures.refused[call.method] += 1
            continue
        head, text, channel = call.args.get("text") or "", _text(call), call.args.get("channel")
        top = call.method == "chat.postMessage" and channel == CHANNEL and not call.args.get("thread_ts")
        if actor == SET_UP:  # the welcome, the day's digest: before the quarter's work, and reported apart
            if top:
                figures.set_up_posts.append(head[:40])
            continue
        number = max((n for n, start in starts if start <= moment), default=0)
        if call.method == "chat.update":
            figures.updates["channel" if channel == CHANNEL else "DMs"] += 1
            if call.args.get("ts") in roots:
                figures.top_level.append((number, text))
            continue
        if call.method == "chat.postEphemeral":
            if call.args["user"] == actor and THANKS.match(head):
                figures.replies[actor] += 1
                continue
            recipients, kind = [call.args["user"]], "ephemeral"
        elif (person := dm_recipient(call, dms)) is not None:
            recipients, kind = [person], "dm"
        elif call.method == "chat.postMessage" and channel == CHANNEL:
            if top:
                figures.top_level.append((number, text))
                if head.startswith("Check-in round"):
                    figures.round_posts[number] += 1
                elif head.startswith("Review #"):
                    figures.review_posts[number] += 1
                else:
                    figures.other_posts[number] += 1
                    figures.other_texts.append(head[:40])
            recipients, kind = [u for u in PEOPLE if f"<@{u}" in text], "mention"
        else:
            continue
        for user in recipients:
            figures.messages[number][user] += 1
            figures.kinds[kind] += 1
            if PROMPTED.match(head):
                figures.prompts[number][user] += 1
            elif head.startswith("Reminder: check-in round"):
                figures.reminders[number][user] += 1
    return figures


def _report(setting: str, figures: Figures) -> str:
    """The configuration's figures, as printed (`pytest -s`)."""
    rounds = range(1, figures.rounds + 1)
    posts = [figures.round_posts[n] + figures.other_posts[n] for n in rounds]
    each = [figures.messages[n][u] for n in rounds for u in PEOPLE]
    totals = ", ".join(f"{u[1:].lower()} {sum(figures.messages[n][u] for n in rounds)}" for u in PEOPLE)
    return (
        f"noise {setting}: {figures.rounds} rounds, top-level posts per round {sum(posts) / len(posts):.2f} "
        f"(max {max(posts)}; reviews {sum(figures.review_posts.values())}, "
        f"other {sum(figures.other_posts.values())}), max messages per person per round {max(each)}, "
        f"mean {sum(each) / len(each):.2f}\n"
        f"    by {', '.join(f'{kind} {n}' for kind, n in figures.kinds.items())}; per person over the quarter: "
        f"{totals}; replies to their own answers {sum(figures.replies.values())}; updates in place "
        f"{', '.join(f'{where} {n}' for where, n in sorted(figures.updates.items()))}; "
        f"refused calls {dict(figures.refused)}; other posts {figures.other_texts}; set-up posts {figures.set_up_posts}"
    )


CONFIGURATIONS = [
    pytest.param(True, False, id="everybody-answers-partner-dms-off"),
    pytest.param(True, True, id="everybody-answers-partner-dms-on"),
    pytest.param(False, False, id="nobody-answers-partner-dms-off"),
    pytest.param(False, True, id="nobody-answers-partner-dms-on"),
]


@pytest.mark.parametrize(("answers", "partner_dms"), CONFIGURATIONS)
@pytest.mark.postgres
def test_a_quarter_of_check_ins_stays_quiet(harness: Harness, answers: bool, partner_dms: bool,
                                            database_kind: str) -> None:
    if database_kind == "postgres" and (answers or partner_dms):  # the suite's time: one configuration is enough
        pytest.skip("PostgreSQL plays the loudest configuration (nobody answers, no DMs to the partner) only")
    if answers and partner_dms and not os.environ.get("ACCORD_NOISE_ALL"):  # the suite's time, again
        pytest.skip("the quietest case (measured in the README) runs with ACCORD_NOISE_ALL=1")
    harness.fake.allow_external_dm = partner_dms  # else the partner's people are prompted in the channel, alone
    # a quarter played in seconds: Slack's per-minute limits (issue 17) would take its calls as one minute's
    harness.fake.tiers_enabled = False
    quarter = _simulate(harness, answers=answers)
    figures = _count(harness, quarter)
    setting = f"{'everybody' if answers else 'nobody'} answers, partner DMs {'on' if partner_dms else 'off'}"
    print(f"\n{_report(setting, figures)}")

    # a quarter of the default cadences: seven rounds, all closed, and the quarterly review
    defaults = {name: Relationship.model_fields[name].default for name in ("checkin_cadence", "review_cadence")}
    assert defaults == {
        "checkin_cadence": "every 2 weeks on monday at 09:30",
        "review_cadence": "quarterly on the first working day at 10:00",
    }
    with Session(harness.engine) as db:
        relationship = db.exec(select(Relationship)).one()
        stored = set(db.exec(select(Round.number, Answer.user_id).where(Answer.round_id == Round.id)).all())
        closed = db.exec(select(Round.number).where(Round.status == "closed")).all()
    assert {name: getattr(relationship, name) for name in defaults} == defaults
    rounds = range(1, 8)
    assert figures.rounds == 7 and sorted(closed) == list(rounds)
    assert sum(figures.review_posts.values()) == 1
    assert stored == ({(n, u) for n in rounds for u in PEOPLE} if answers else set())
    assert {n: users for n, users in quarter.answered.items()} == ({n: set(PEOPLE) for n in rounds} if answers else {})
    assert not figures.messages[0] and not figures.other_posts[0]  # nothing before the first round opens
    # at most two top-level posts per round (a review's summary aside): the round's one message, and no more
    assert all(figures.round_posts[n] == 1 for n in rounds), figures.round_posts
    assert all(figures.round_posts[n] + figures.other_posts[n] <= MAX_POSTS for n in rounds), figures.other_posts
    # at most two messages per person per round: everyone prompted once; nobody who answered reminded; when
    # nobody answers, each reminded exactly once (the prompt and one reminder, no more, no less)
    for n in rounds:
        assert max(figures.messages[n][u] for u in PEOPLE) <= MAX_MESSAGES, (n, figures.messages[n])
        assert figures.prompts[n] == Counter(dict.fromkeys(PEOPLE, 1)), (n, figures.prompts[n])
        assert figures.reminders[n] == (Counter() if answers else Counter(dict.fromkeys(PEOPLE, 1))), (
            n,
            figures.reminders[n],
        )
        if not answers:
            assert figures.messages[n] == Counter(dict.fromkeys(PEOPLE, 2)), (n, figures.messages[n])
    assert figures.replies == (Counter(dict.fromkeys(PEOPLE, 7)) if answers else Counter())
    # the partner's people have DMs only when their organisation allows them
    assert set(dm_channels(harness).values()) == set(PEOPLE if partner_dms else NORTH)
    assert figures.kinds["ephemeral"] == (0 if partner_dms else 3 * 7 * (1 if answers else 2))
    # nothing at the top level of the channel (posts, and the round's message as updated) names someone who did
    # not answer the round
    for number, text in figures.top_level:
        silent = [u for u in PEOPLE if (number, u) not in stored]
        named = [u for u in silent if any(re.search(rf"(?<![\w@]){re.escape(n)}\b", text) for n in _names(u))]
        assert not named, (number, named, text[:300])


def _names(user: str) -> tuple[str, ...]:
    """The ways a post could name `user`: a mention, the id, the Slack name."""
    return (f"<@{user}", user, user[1:].lower())
