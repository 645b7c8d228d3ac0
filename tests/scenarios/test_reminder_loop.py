"""The whole loop: signed /accord remind → work item → `accord tick` → outbox → fake Slack, once."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from storage.models import DONE, SENT, OutboxMessage, WorkItem
from storage.utc import utcnow
from tests.harness import CHANNEL, Harness, accord_command


def _reminders(harness: Harness) -> list[dict]:
    return [m for m in harness.fake.messages(CHANNEL) if "Reminder" in (m.get("text") or "")]


def test_reminder_reaches_slack_once_when_tick_runs_twice(harness: Harness) -> None:
    response = harness.driver.slash("UALICE", CHANNEL, "remind in 2d Send the revised SOW")
    assert response.status_code == 200
    told = response.json()["text"]
    assert "I will remind this channel on" in told and "Times you type are read in UTC" in told  # no zone known
    assert harness.count(WorkItem) == 1

    early = (utcnow() + timedelta(days=1)).isoformat()
    result = harness.accord("tick", "--as-of", early)
    assert result.returncode == 0, result.stderr
    assert _reminders(harness) == []  # not due yet

    due = (utcnow() + timedelta(days=2, minutes=1)).isoformat()
    for _ in range(2):
        result = harness.accord("tick", "--as-of", due)
        assert result.returncode == 0, result.stderr
    posted = _reminders(harness)
    assert len(posted) == 1
    assert "Send the revised SOW" in posted[0]["text"]
    assert "<@UALICE>" in str(posted[0]["blocks"])
    assert len(harness.fake.calls_to("chat.postMessage")) == 1
    with Session(harness.engine) as db:
        assert db.exec(select(WorkItem)).one().status == DONE
        sent = db.exec(select(OutboxMessage)).one()
        assert sent.status == SENT and sent.ts == posted[0]["ts"]
    again = harness.accord("tick", "--as-of", due)
    assert again.returncode == 0 and "0 done" in again.stdout and "0 sent" in again.stdout


@pytest.mark.postgres
def test_two_ticks_at_once_deliver_each_message_once(harness: Harness) -> None:
    """Two real `accord tick` processes (the other scenarios race ticks inside the test process)."""
    for n in range(4):  # one channel, paced at a post a second by the real processes
        assert harness.driver.slash("UALICE", CHANNEL, f"remind in 1h Item {n}").status_code == 200
    due = (utcnow() + timedelta(hours=2)).isoformat()
    command = [*accord_command(), "--env-file", "/nonexistent", "tick", "--as-of", due]
    runs = [subprocess.Popen(command, env=harness.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    texts = sorted(m["text"] for m in _reminders(harness))
    assert texts == sorted(f"Reminder: Item {n}" for n in range(4))
    assert len(harness.fake.calls_to("chat.postMessage")) == 4


def test_bad_date_gets_one_clear_message_and_changes_nothing(harness: Harness) -> None:
    for text, expected in [
        ("remind 2026-02-30 09:00 Review", "could not read when"),
        ("remind tomorrow-ish Review", "could not read when"),
        ("remind tomorrow at 25 Review", "could not read the time of day"),
        ("remind in 3d", "What should the reminder say"),
        ("remind 2001-01-01 09:00 Too late", "has passed"),
    ]:
        body = harness.driver.slash("UALICE", CHANNEL, text).json()
        assert body["response_type"] == "ephemeral"
        assert expected in body["text"], (text, body["text"])
        assert "Traceback" not in body["text"]
    assert harness.count(WorkItem) == 0


@pytest.mark.postgres
def test_a_slack_outage_does_not_fail_the_request_and_the_tick_delivers_later(harness: Harness) -> None:
    harness.fake.inject("*", status=503, times=None)
    response = harness.driver.slash("UALICE", CHANNEL, "remind in 1h Check the numbers")
    assert response.status_code == 200 and "I will remind" in response.json()["text"]
    later = utcnow() + timedelta(hours=1, minutes=1)
    work, sent = harness.tick(later)
    assert len(work.done) == 1 and sent.retried and not sent.sent
    assert _reminders(harness) == []
    harness.fake.clear_faults()
    with Session(harness.engine) as db:  # the retry is due after its backoff; bring it forward
        row = db.exec(select(OutboxMessage)).one()
        row.next_attempt_at = utcnow()
        db.add(row)
        db.commit()
    _work, sent = harness.tick(later)
    assert len(sent.sent) == 1 and len(_reminders(harness)) == 1
