"""@accord mentions are answered in the thread, once per event whatever Slack retries."""

from __future__ import annotations

from storage.models import HandledEvent
from tests.harness import CHANNEL, Harness


def test_mention_is_answered_in_its_thread(harness: Harness) -> None:
    response = harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> help", thread_ts="1700000000.000100")
    assert response.status_code == 200
    assert harness.fake.calls_to("chat.postMessage") == []  # the ack did not wait on Slack: the outbox posts
    harness.sender.drain()
    replies = [m for m in harness.fake.messages(CHANNEL) if m.get("user") == "UACCORD"]
    assert len(replies) == 1
    assert replies[0]["thread_ts"] == "1700000000.000100"
    assert "<@UBOB>" in replies[0]["text"] and "/accord help" in str(replies[0]["blocks"])


def test_a_retried_event_is_acknowledged_but_handled_once(harness: Harness) -> None:
    first = harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> hepl", event_id="Ev0RETRY")
    retry = harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> hepl", event_id="Ev0RETRY", retry_num=1)
    again = harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> hepl", event_id="Ev0RETRY", retry_num=2)
    assert [r.status_code for r in (first, retry, again)] == [200, 200, 200]
    harness.sender.drain()
    replies = [m for m in harness.fake.messages(CHANNEL) if m.get("user") == "UACCORD"]
    assert len(replies) == 1
    assert "Did you mean `/accord help`?" in str(replies[0]["blocks"])
    assert harness.count(HandledEvent) == 1


def test_url_verification_is_answered(harness: Harness) -> None:
    response = harness.driver.url_verification("challenge-xyz")
    assert response.status_code == 200 and "challenge-xyz" in response.text
