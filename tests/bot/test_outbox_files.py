"""Files shared by the outbox (files upload v2) against the fake Slack: in their thread, once each,
whichever of the three requests fails, and parked when they cannot be rendered."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.engine import Engine

from bot.fakeslack import FakeSlack
from bot.wait_clock import RealClock
from commands import outgoing
from storage.engine import transaction
from storage.models import FAILED, PENDING, SENT
from storage.utc import utcnow
from tests.harness import CHANNEL, make_sender, outbox_rows, retries_due_now

TITLE = "Review #4 chart: Acme & Globex"
FIGURES: dict[str, Any] = {
    "number": 4, "relationship": "Acme & Globex",
    "period": {"first_day": "2026-10-01", "last_day": "2026-11-30"},
    "parties": [{"slot": 1, "name": "Acme"}, {"slot": 2, "name": "Globex"}],
    "kpis": [{"number": 1, "name": "On-time delivery", "unit": "%", "direction": "higher", "target": 95.0,
              "amber": 90.0, "red": 85.0, "series": [["2026-10-05", 89.0], ["2026-11-02", 96.0]]}],
    "trust": {"series": [{"round": 1, "period": "2026-10-15", "trust": {"1": 4.0, "2": 3.5}}]},
}


def _queue(engine: Engine, *, threaded: bool = True, view: str = "review_chart") -> None:
    """A review's summary message, and its chart in the summary's thread (or in the channel)."""
    with transaction(engine) as db:
        now = utcnow()
        outgoing.post_message(db, key="root", channel=CHANNEL, view="reminder",
                            data={"text": "Review #4", "by": "UALICE"}, now=now)
        outgoing.upload_file(db, key="chart", channel=CHANNEL, thread_of="root" if threaded else None, view=view,
                           data=FIGURES, now=now)




def _shared(fake: FakeSlack) -> list[dict[str, Any]]:
    """The messages in the channel that share a file."""
    return [m for m in fake.messages(CHANNEL) if m.get("files")]


def _assert_shared_once(engine: Engine, fake: FakeSlack, *, threaded: bool = True) -> None:
    shared = _shared(fake)
    assert len(shared) == 1, shared
    assert [f["title"] for f in shared[0]["files"]] == [TITLE]
    assert [f for f in fake.files.values() if f["channel"] == CHANNEL] == [fake.files[shared[0]["files"][0]["id"]]]
    rows = outbox_rows(engine)
    assert rows["chart"].status == SENT and rows["chart"].sent_channel == CHANNEL
    assert shared[0]["thread_ts"] == (rows["root"].ts if threaded else None)


def test_a_queued_chart_arrives_as_a_png_in_its_thread(engine: Engine, fake: FakeSlack) -> None:
    _queue(engine)
    report = make_sender(engine, fake).drain()
    assert report.sent == ["root", "chart"]
    _assert_shared_once(engine, fake)
    message = _shared(fake)[0]
    assert message["text"] == "KPI trends against target and trust per party over the period."
    file = fake.files[message["files"][0]["id"]]
    assert file["name"] == "accord-review-4.png"
    Image.open(io.BytesIO(file["bytes"])).verify()
    image = Image.open(io.BytesIO(file["bytes"]))
    assert image.format == "PNG" and image.size[0] >= 400 and image.size[1] >= 300
    assert [c.status for c in fake.calls_to("upload")] == [200]


@pytest.mark.parametrize("threaded", [True, False], ids=["in-thread", "in-channel"])
def test_an_answer_lost_after_slack_shared_the_file_is_not_shared_again(
    engine: Engine, fake: FakeSlack, threaded: bool
) -> None:
    fake.inject("files.completeUploadExternal", drop=True)  # Slack shares it; the answer is lost on the way
    _queue(engine, threaded=threaded)
    sender = make_sender(engine, fake)
    assert sender.drain().retried == ["chart"]
    retries_due_now(engine)
    assert sender.drain().sent == ["chart"]
    _assert_shared_once(engine, fake, threaded=threaded)
    assert len(fake.calls_to("files.completeUploadExternal")) == 1  # found by its title instead
    assert len(fake.calls_to("conversations.replies" if threaded else "conversations.history")) == 1


def test_a_server_error_completing_the_upload_is_retried_and_shares_once(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("files.completeUploadExternal", status=500, times=3)  # more than the client's own retries
    _queue(engine)
    sender = make_sender(engine, fake)
    assert sender.drain().retried == ["chart"]
    assert "files.upload: internal_error (HTTP 500)" in (outbox_rows(engine)["chart"].last_error or "")
    retries_due_now(engine)
    assert sender.drain().sent == ["chart"]
    _assert_shared_once(engine, fake)


UPLOAD_FAULTS = {  # fault injected into the upload POST -> how the retried row's last error begins
    "500": ({"status": 500}, "files.upload: HTTPError: HTTP Error 500"),
    "503": ({"status": 503}, "files.upload: HTTPError: HTTP Error 503"),
    "non-200": ({"status": 201}, "files.upload: upload of accord-review-4.png failed: Failed to upload a file"),
    "timeout": ({"delay": 2.0}, "files.upload: TimeoutError"),
}


@pytest.mark.parametrize("case", list(UPLOAD_FAULTS))
def test_a_failed_upload_post_is_retried_and_shares_once(engine: Engine, fake: FakeSlack, case: str) -> None:
    fault, error = UPLOAD_FAULTS[case]
    fake.inject("upload", **fault)  # the POST of the bytes to the upload URL (urllib, outside the client's retries)
    _queue(engine)
    sender = make_sender(engine, fake, timeout=1)
    assert sender.drain().retried == ["chart"]
    row = outbox_rows(engine)["chart"]
    assert row.status == PENDING and (row.last_error or "").startswith(error), row.last_error
    assert fake.calls_to("files.completeUploadExternal") == []  # the upload never completed: nothing shared
    retries_due_now(engine)
    assert sender.drain().sent == ["chart"]
    _assert_shared_once(engine, fake)
    assert len(fake.calls_to("files.getUploadURLExternal")) == 2  # the retry uploads afresh


def test_a_channel_the_bot_is_not_in_parks_the_file(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("files.completeUploadExternal", error="not_in_channel")
    _queue(engine)
    report = make_sender(engine, fake).drain()
    assert report.failed == ["chart"] and _shared(fake) == []
    assert len(fake.calls_to("files.completeUploadExternal")) == 1


def test_an_unknown_file_view_is_parked_with_a_log_line_not_retried(
    engine: Engine, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    _queue(engine, view="no.such.chart")
    sender = make_sender(engine, fake)
    assert sender.drain().failed == ["chart"]
    retries_due_now(engine)
    assert sender.drain().failed == []
    row = outbox_rows(engine)["chart"]
    assert row.status == FAILED and row.attempts == 1
    assert "outbox chart parked as failed after 1 attempt(s): cannot render file view 'no.such.chart'" in caplog.text
    assert [c.method for c in fake.calls if c.method.startswith("files.") or c.method == "upload"] == []


def test_a_file_is_paced_like_a_post_in_its_channel(engine: Engine, fake: FakeSlack) -> None:
    _queue(engine, threaded=False)
    make_sender(engine, fake, pace=2.0, wait_clock=RealClock()).drain()
    post, upload = fake.calls_to("chat.postMessage")[0], fake.calls_to("files.getUploadURLExternal")[0]
    assert upload.at - post.at >= 1.95  # far longer than drawing the chart takes
    assert len(_shared(fake)) == 1
