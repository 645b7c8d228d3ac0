"""A linter over every text Accord sent in a month of a partnership (plan, check-ins, a dispute, a review with
its parts, status and the Home tab): no leaked `None`, `null` or template braces, plurals and possessives
right, scores in the one format, money with its currency, no raw ISO moments; and times told to one person
in that person's own timezone."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from storage.checkins import Round
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import prompts
from tests.scenarios.plan_steps import full_cast, latest_view
from tests.scenarios.review_steps import at, month_of_partnership, sign

SINGULAR_IN_S = {"status", "process", "analysis", "yes", "this", "is", "was", "has", "does", "its", "us", "bus",
                 "access", "success", "business", "address", "progress", "less", "plus", "gas", "bonus", "focus",
                 "needs", "waits", "goes"}  # verbs: "action #1 needs you"
PLURAL_AFTER_ONE = re.compile(r"\b1 ([a-z]+s)\b")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
SCORE = re.compile(r"\b(?:trust|behaviour|gap|gap of|vs|→)\s+(\d+(?:\.\d+)?)\b")
BARE_THOUSANDS = re.compile(r"(?<![A-Z]{3} )(?<![\d,.])\d{1,3}(?:,\d{3})+(?:\.\d+)?\b")
# the day's digest of plan changes quotes the values as recorded (its sentences are commands.rmp.sentences')
DIGEST = ":spiral_note_pad:"
UNTOUCHED_WORDS = ("null", "undefined", "NaN")


def _strings(value: Any, key: str = "") -> Iterator[str]:
    """The texts a person reads in a call's arguments: every `text` (mrkdwn or plain), hint, placeholder, label
    and title, wherever it is in the blocks or the view."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _strings(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, key)
    elif isinstance(value, str) and key in ("text", "alt_text"):
        yield value


def _sent(harness: Harness) -> list[str]:
    """Every text Accord sent Slack: messages, updates, ephemerals, modals, the Home tab, slash answers."""
    harness.sender.drain()
    methods = {"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update",
               "views.push", "views.publish", "chat.scheduleMessage"}
    texts = [text for call in harness.fake.calls if call.method in methods for text in _strings(call.args)]
    texts += [text for post in harness.fake.response_url_posts for text in _strings(post)]
    return texts


def _month_with_a_review(harness: Harness) -> tuple[list[str], list[str]]:
    """A month of partnership, its review (signed by one SER), status, reviews list, Home: what was sent, and
    what the slash commands answered."""
    month_of_partnership(harness)
    at(harness, "2027-01-25T10:00:00Z")
    answers = [harness.driver.slash("UERIN", CHANNEL, "review now").json().get("text", "")]
    harness.sender.drain()
    sign(harness, "UALICE", 1)  # states Northwind's expectations, then signs in the form
    for user, command in (("UALICE", "status"), ("UBOB", "status"), ("UERIN", "reviews"), ("UERIN", "reviews 1"),
                          ("UHANK", "disputes"), ("UBOB", "checkin")):
        answers.append(str(harness.driver.slash(user, CHANNEL, command).json().get("text", "")))
    for user, team in (("UALICE", "T0HOME"), ("UBOB", "T0PARTNER")):
        event = {"type": "event_callback", "team_id": team, "api_app_id": "AACCORD", "event_id": f"EvHOME{user}",
                 "event_time": int(time.time()), "event": {"type": "app_home_opened", "user": user,
                                                           "channel": f"D0{user}", "tab": "home",
                                                           "event_ts": f"{time.time():.6f}"}}
        assert harness.driver.send(json.dumps(event), "application/json").status_code == 200
    return _sent(harness), answers


def _problems(text: str) -> list[str]:
    found = [f"leaked {word!r}" for word in UNTOUCHED_WORDS if re.search(rf"\b{word}\b", text)]
    if re.search(r"\bNone\b(?!:)", text):
        found.append("leaked 'None'")
    if re.search(r"\{[a-z_]+[}\[!:]", text) or "{'" in text or '{"' in text:
        found.append("a template or a dict leaked")
    if re.search(r"s's\b", text):
        found.append("'s after a name ending in s")
    found += [f"'1 {noun}'" for noun in PLURAL_AFTER_ONE.findall(text) if noun not in SINGULAR_IN_S]
    if "(s)" in text:
        found.append("a '(s)' plural")
    if ISO_MOMENT.search(text):
        found.append(f"a raw ISO moment {ISO_MOMENT.search(text)}")
    found += [f"score {number} not in the one-decimal format" for number in SCORE.findall(text)
              if not re.fullmatch(r"\d+\.\d", number)]
    if not text.startswith(DIGEST):
        found += [f"money {number} without its currency" for number in BARE_THOUSANDS.findall(text)]
    return found


@pytest.mark.sqlite_only("tests/security/test_secret_hygiene.py::test_debug_logs_of_a_whole_scenario_hold_no_secret_and_no_answer")
def test_every_text_of_a_month_reads_right(harness: Harness) -> None:
    sent, answers = _month_with_a_review(harness)
    assert len(sent) > 100, "the scenario sent too little to lint"
    problems = {text[:300]: found for text in [*sent, *answers] if (found := _problems(text))}
    assert not problems, "\n\n".join(f"{found}: {text}" for text, found in problems.items())
    everything = "\n".join(sent)
    # the figures the scenario knows, in the one voice: scores with one decimal, money with its currency
    assert "trust 4.0 behaviour 4.0" in everything and "perception gap 2.0" in everything
    assert "benefits GBP 30,000" in everything and "costs GBP 5,000, benefits GBP 10,000" in everything
    assert "1 escalation," in everything


def test_the_linter_catches_what_testers_found() -> None:
    for bad in ("1 escalations", "Ask Acme Services's managers", "trust 4.00", "42,000 of 54,000",
                "Round 2 closes None", "{count} plan changes", "due 2027-01-07T09:30:00+00:00",
                "2 recommendation(s)", "trust 4 behaviour 3"):
        assert _problems(bad), bad
    for good in ("1 escalation", "Ask Acme Services' managers", "trust 4.0", "GBP 42,000 of GBP 54,000",
                 "None: no figure this period met a rule", "1 status", "due 2027-01-07"):
        assert not _problems(good), good


def test_bob_in_new_york_is_told_his_check_in_closes_in_new_york_time(harness: Harness) -> None:
    at(harness, "2027-01-04T12:00:00Z")
    full_cast(harness)
    harness.sender.drain()  # the users.info lookups record each person's timezone
    harness.tick(datetime.fromisoformat("2027-01-18T09:30:00+00:00"))  # the round opens, London prompted
    harness.tick(datetime.fromisoformat("2027-01-18T14:30:00+00:00"))  # 09:30 in New York: Bob prompted
    with Session(harness.engine) as db:
        round_ = db.exec(select(Round)).one()
    closes = round_.closes_at.astimezone(ZoneInfo("America/New_York")).strftime("%a %d %b %H:%M")
    london = round_.closes_at.astimezone(ZoneInfo("Europe/London")).strftime("%a %d %b %H:%M")
    assert closes != london
    [prompt] = prompts(harness, "UBOB", round_.number)
    assert f"It closes {closes} (America/New_York)." in prompt["text"]
    at(harness, "2027-01-18T15:00:00Z")
    assert harness.driver.slash("UBOB", CHANNEL, "checkin").text == ""
    form = "\n".join(_strings(latest_view(harness)))
    assert f"closes {closes} (America/New_York)" in form and "Europe/London" not in form
    # the channel's own post is everyone's: it names its zone
    [post] = [m for m in harness.fake.messages(CHANNEL) if m["text"].startswith("Check-in round 1 of")]
    assert "(Europe/London)" in post["text"]
