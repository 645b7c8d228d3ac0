"""An unknown mention gets one short answer only its author sees: a "did you mean" and a Help button. The help
(button, `@accord help`, `/accord help`) lists what the reader may use, as mentions for people whose workspace has
no `/accord` (the partner's, Accord being installed in Northwind's only)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.ids import Act
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import full_cast

PLAN_EDITING = ("setup", "objective", "kpi", "risk", "exit", "role", "remove", "review")


def _told(harness: Harness, user: str) -> list[dict[str, Any]]:
    """Everything `user` was told privately in the channel (after the outbox has run)."""
    harness.sender.drain()
    return [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == user]


def _text(message: dict[str, Any]) -> str:
    return message["text"] + "\n" + "\n".join(str(block.get("text", {}).get("text", ""))
                                              for block in message.get("blocks") or [])


def _lists(shown: str, usage: str) -> bool:
    """Whether the help lists a line for `usage` (`@accord kpi`: `@accord kpi [edit N]`, not `@accord kpis`)."""
    return re.search(rf"^`{re.escape(usage)}[` ]", shown, re.MULTILINE) is not None


def _public_posts(harness: Harness) -> list[dict[str, Any]]:
    harness.sender.drain()
    return [m for m in harness.fake.messages(CHANNEL) if m.get("user") == "UACCORD"]


@pytest.mark.postgres
def test_an_unknown_mention_gets_one_private_answer_with_help(harness: Harness) -> None:
    full_cast(harness)
    posted, told_before = len(_public_posts(harness)), len(_told(harness, "UJOE"))
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> can you show me the KPIs?", thread_ts="1700000000.000100")
    [answer] = _told(harness, "UJOE")[told_before:]
    assert len(_public_posts(harness)) == posted  # nothing for everyone
    assert answer["text"] == "`can` is not an Accord command."
    assert answer["thread_ts"] == "1700000000.000100"
    [help_button] = [el for b in answer["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert help_button["text"]["text"] == "Help"

    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> stauts")
    assert "Did you mean `@accord status`?" in _told(harness, "UJOE")[-1]["text"]

    # Joe, a member of Southwind (no /accord in its workspace), clicks Help: mentions, and nothing he cannot use
    harness.driver.block_action("UJOE", CHANNEL, Act.CONTINUE, value=help_button["value"])
    shown = _text(_told(harness, "UJOE")[-1])
    assert _lists(shown, "@accord status") and "`@accord action done N | cannot N`" in shown
    assert "/accord" not in shown.replace("`/accord`", "")  # only the note that his workspace has no /accord
    for name in (*PLAN_EDITING, "join", "party"):
        assert not _lists(shown, f"@accord {name}"), name


def test_help_lists_what_the_reader_may_use_as_they_call_accord(harness: Harness) -> None:
    full_cast(harness)
    # Alice, Northwind's SER: the slash commands, setup and kpi among them, whether asked by /accord or mention
    body = harness.driver.slash("UALICE", CHANNEL, "help").json()
    harness.driver.app_mention("UALICE", CHANNEL, "<@UACCORD> help")
    for shown in (_text(body), _text(_told(harness, "UALICE")[-1])):
        for name in PLAN_EDITING:
            assert _lists(shown, f"/accord {name}"), name
        assert not re.search("^`@accord", shown, re.MULTILINE) and not _lists(shown, "/accord join")
    # Kim, Southwind's observer: reading only, as mentions
    harness.driver.app_mention("UKIM", CHANNEL, "<@UACCORD> help")
    shown = _text(_told(harness, "UKIM")[-1])
    assert _lists(shown, "@accord status") and _lists(shown, "@accord history")
    for name in (*PLAN_EDITING, "dispute", "value", "win", "action", "checkin"):
        assert not _lists(shown, f"@accord {name}"), name
    # Dave, of a third organisation: nothing of the relationship's, and no Join he would be refused
    harness.driver.app_mention("UDAVE", CHANNEL, "<@UACCORD> help")
    shown = _text(_told(harness, "UDAVE")[-1])
    assert _lists(shown, "@accord help") and not _lists(shown, "@accord join") and not _lists(shown, "@accord status")
    # Leo, of Northwind, never joined: he is offered Join
    harness.driver.app_mention("ULEO", CHANNEL, "<@UACCORD> help")
    assert _lists(_text(_told(harness, "ULEO")[-1]), "/accord join")


def test_an_answer_to_a_mention_names_commands_as_mentions(harness: Harness) -> None:
    """Usage and refusals answered to a mention say `@accord …`, which the partner's people can use, never
    `/accord …`, which their workspace does not have."""
    full_cast(harness)
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> status everything please")
    answer = _text(_told(harness, "UJOE")[-1])
    assert "`@accord status`" in answer and "`/accord" not in answer
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> reviews lots")
    answer = _text(_told(harness, "UJOE")[-1])
    assert "`@accord reviews`" in answer and "`/accord" not in answer
