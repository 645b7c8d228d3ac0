"""The `hold` fault: Slack acts on the call at once and answers later (a sender can die in between)."""

from __future__ import annotations

import threading
import time

from slack_sdk import WebClient

from bot.fakeslack import FakeSlack


def test_a_held_post_is_in_the_channel_before_its_answer_comes(fake: FakeSlack, client: WebClient) -> None:
    fake.inject("chat.postMessage", hold=1.0)
    answers: list[str] = []
    started = time.monotonic()
    poster = threading.Thread(target=lambda: answers.append(client.chat_postMessage(channel="C0SHARED",
                                                                                    text="held")["ts"]))
    poster.start()
    [call] = fake.wait_for("chat.postMessage", timeout=3)  # recorded, and the message stored ...
    assert call.ok and [m["text"] for m in fake.messages("C0SHARED")] == ["held"]
    assert answers == [] and time.monotonic() - started < 1.0  # ... while the caller still waits
    poster.join(5)
    assert answers == [call.response["ts"]] and time.monotonic() - started >= 1.0
    client.chat_postMessage(channel="C0SHARED", text="next")  # one call only: the next one is answered at once
    assert time.monotonic() - started < 2.0
