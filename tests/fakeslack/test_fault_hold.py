"""The `hold` fault: Slack acts on the call at once and answers later (a sender can die in between)."""

from __future__ import annotations

import threading

from slack_sdk import WebClient

from bot.fakeslack import FakeSlack


def test_a_held_post_is_in_the_channel_before_its_answer_comes(fake: FakeSlack, client: WebClient) -> None:
    fake.inject("chat.postMessage", hold=2.0)
    answers: list[str] = []
    poster = threading.Thread(target=lambda: answers.append(client.chat_postMessage(channel="C0SHARED",
                                                                                    text="held")["ts"]),
                              daemon=True)
    poster.start()
    [call] = fake.wait_for("chat.postMessage", timeout=3)  # recorded, and the message stored ...
    assert call.ok and [m["text"] for m in fake.messages("C0SHARED")] == ["held"]
    assert answers == [] and poster.is_alive()  # ... while the caller still waits
    # one call only: the next one is answered at once (a second hold would outlast the client's 5 s timeout)
    assert client.chat_postMessage(channel="C0SHARED", text="next")["ok"]
    assert answers == [] and poster.is_alive()
    poster.join(10)
    assert answers == [call.response["ts"]]  # the held answer comes in the end
