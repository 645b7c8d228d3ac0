"""Steps of check-in scenarios: rounds driven by `accord tick --as-of`, answers through the modal."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bot import cli
from bot.fakeslack.state import Call
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import latest_view, submit


def tick(harness: Harness, at: str) -> str:
    """`accord tick --as-of at`, with an engine and sender of its own (a restart between ticks, as in production)."""
    result = harness.accord("tick", "--as-of", at)
    assert result.returncode == 0, result.stderr
    return result.stdout


def racing_ticks(harness: Harness, at: str, count: int = 2) -> None:
    """`count` ticks at once, as replicas would run them: each with its own engine, meeting in the database.
    (tests/scenarios/test_reminder_loop.py races real `accord tick` processes.)"""
    env, argv = harness.env(), ["--env-file", "/nonexistent", "tick", "--as-of", at]
    with ThreadPoolExecutor(max_workers=count) as pool:
        runs = [pool.submit(cli.main, argv, environ=env, wait_clock=harness.wait_clock) for _ in range(count)]
        assert [run.result(timeout=120) for run in runs] == [0] * count


def dm_channels(harness: Harness) -> dict[str, str]:
    """DM channel id -> user, for the DMs Accord has with people."""
    return harness.fake.dm_channels()


def dm_recipient(call: Call, dms: dict[str, str]) -> str | None:
    """The person a chat.postMessage that Slack took was a DM to, else None. Accord posts a DM to the person's
    id (Slack posts it in the app's DM with them and answers with that DM's channel), or, as any post, to a DM's
    channel id; `dms` is `dm_channels`."""
    if call.method != "chat.postMessage" or not call.ok:
        return None
    return dms.get(call.response.get("channel") or call.args.get("channel"))


def prompts(harness: Harness, user: str, round_number: int, *, reminder: bool = False) -> list[dict[str, Any]]:
    """The check-in prompts (or reminders) `user` received for a round: by DM, or shown only to them in the
    shared channel (someone Accord cannot DM)."""
    head = "Reminder: check-in round" if reminder else "Time for check-in round"
    dms = dm_channels(harness)
    found = []
    for call in harness.fake.calls_to("chat.postMessage"):
        text = call.args.get("text") or ""
        if call.status == 200 and f"{head} {round_number} " in text and dm_recipient(call, dms) == user:
            found.append({"at": call.at, "text": text, "channel": call.response["channel"]})
    for call in harness.fake.calls_to("chat.postEphemeral"):
        text = call.args.get("text") or ""
        if call.status == 200 and call.response.get("ok") and f"{head} {round_number} " in text \
                and call.args.get("user") == user:
            found.append({"at": call.at, "text": text, "channel": call.args["channel"]})
    return found


def round_messages(harness: Harness, number: int) -> list[dict[str, Any]]:
    """The shared channel's top-level messages about round `number` (there should be one)."""
    harness.sender.drain()
    return [m for m in harness.fake.messages(CHANNEL)
            if m.get("thread_ts") in (None, m["ts"]) and m["text"].startswith(f"Check-in round {number} of")]


def round_thread(harness: Harness, number: int) -> list[str]:
    """The replies in round `number`'s thread, text and blocks."""
    [root] = round_messages(harness, number)
    return [f"{m['text']}\n{m['blocks']}" for m in harness.fake.messages(CHANNEL)
            if m.get("thread_ts") == root["ts"] and m["ts"] != root["ts"]]


def answer(harness: Harness, user: str, at: str, ratings: list[int], *, kpis: dict[int, str] | None = None,
           comment: str = "", share: bool = False) -> httpx.Response:
    """`user` runs `/accord checkin` at `at` and sends the form."""
    harness.clock.now = parse_instant(at)
    opened = harness.driver.slash(user, CHANNEL, "checkin")
    if opened.text:  # refused: the reason, as the user saw it
        return opened
    view = latest_view(harness)
    answers: dict[str, Any] = {f"stmt_{i}": str(r) for i, r in enumerate(ratings)}
    answers.update({f"kpi_{n}": v for n, v in (kpis or {}).items()})
    if comment:
        answers["comment"] = comment
    if share:
        answers["share"] = ["share"]
    return submit(harness, user, view, answers)


def channel_texts(harness: Harness) -> list[str]:
    """Every message in the shared channel, text and blocks, as one string each."""
    harness.sender.drain()
    return [f"{m['text']}\n{m['blocks']}" for m in harness.fake.messages(CHANNEL)]
