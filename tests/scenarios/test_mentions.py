"""@accord mentions are answered in the thread, once per event whatever Slack retries."""

from __future__ import annotations

import json

import pytest

from storage.models import HandledEvent
from tests.harness import CHANNEL, Harness


def _told(harness: Harness, user: str) -> list[dict]:
    """What `user` was told privately in the channel (after the outbox has run)."""
    harness.sender.drain()
    return [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == user]


def test_mention_is_answered_in_its_thread(harness: Harness) -> None:
    response = harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> help", thread_ts="1700000000.000100")
    assert response.status_code == 200
    assert harness.fake.calls_to("chat.postEphemeral") == []  # the ack did not wait on Slack: the outbox posts
    [told] = _told(harness, "UBOB")
    assert told["thread_ts"] == "1700000000.000100"
    assert "@accord help" in str(told["blocks"])  # Bob's workspace has no /accord
    assert [m for m in harness.fake.messages(CHANNEL) if m.get("user") == "UACCORD"] == []  # nothing public


def test_a_retried_event_is_acknowledged_but_handled_once(harness: Harness) -> None:
    first = harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> hepl", event_id="Ev0RETRY")
    retry = harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> hepl", event_id="Ev0RETRY", retry_num=1)
    again = harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> hepl", event_id="Ev0RETRY", retry_num=2)
    assert [r.status_code for r in (first, retry, again)] == [200, 200, 200]
    [told] = _told(harness, "UBOB")
    assert "Did you mean `@accord help`?" in told["text"]
    assert harness.count(HandledEvent) == 1


def test_url_verification_is_answered(harness: Harness) -> None:
    response = harness.driver.url_verification("challenge-xyz")
    assert response.status_code == 200 and "challenge-xyz" in response.text


@pytest.mark.postgres
def test_every_command_works_as_a_mention_for_people_without_the_slash_command(harness: Harness) -> None:
    """Southwind's people have no /accord (the app is installed in Northwind only): mentions do it all."""
    from bot.ids import Act
    from tests.scenarios.plan_steps import (
        click,
        command_form_agreed,
        ephemeral_texts,
        join,
        latest_view,
        set_up,
        submit,
    )

    assert set_up(harness).status_code == 200
    join(harness, "UBOB")  # the first of Southwind to join becomes its manager
    harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> role <@UBOB> ser")
    assert ephemeral_texts(harness, "UBOB")[-1] == "<@UBOB> is now an SER."
    # an action for Southwind's Bob is Southwind's to agree: Bob approves it with the button on the proposal
    assert command_form_agreed(harness, "UALICE", "action", {"description": "Send the price list", "owner": "UBOB",
                                                             "due_on": "2099-01-01"}).text == ""
    harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> action done 1")
    assert ephemeral_texts(harness, "UBOB")[-1] == "Action #1 is done: Send the price list"

    # a command that needs a form answers with a button; the click opens the form with Slack's trigger
    harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> checkin settings")
    harness.sender.drain()
    [told] = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UBOB"][-1:]
    [button] = [el for b in told["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert button["action_id"] == Act.CONTINUE
    before = harness.fake.views_opened
    click(harness, "UBOB", Act.CONTINUE, json.loads(button["value"]))
    assert harness.fake.views_opened == before + 1
    assert submit(harness, "UBOB", latest_view(harness), {"min_respondents": "4"}).text == ""
    assert ephemeral_texts(harness, "UBOB")[-1].startswith("Proposed as #")  # shared: Northwind decides
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> checkin settings")  # not in the relationship
    harness.sender.drain()
    [told] = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UJOE"][-1:]
    assert "You are not in the *Northwind–Southwind alliance* relationship yet" in told["text"]
