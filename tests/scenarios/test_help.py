"""`/accord help` over signed HTTP, and "did you mean" for a mistyped subcommand."""

from __future__ import annotations

import pytest

from commands.help import SUBCOMMANDS
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import set_up


def _all_text(body: dict) -> str:
    return body["text"] + "\n" + "\n".join(
        block.get("text", {}).get("text", "") for block in body.get("blocks", []) if block["type"] == "section"
    )


@pytest.mark.postgres
def test_help_lists_every_subcommand_an_ser_may_use_ephemerally(harness: Harness) -> None:
    """An SER of a Slack Connect relationship may use every subcommand but `join` (she is in) and `party` (a
    relationship in one workspace's)."""
    assert set_up(harness).status_code == 200
    posted = len(harness.fake.calls_to("chat.postMessage"))
    response = harness.driver.slash("UALICE", CHANNEL, "help")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    text = _all_text(body)
    for sub in SUBCOMMANDS:
        listed = f"`{sub.usage}`" in text and sub.summary in text
        assert listed == (sub.name not in ("join", "party")), sub.name
    assert len(harness.fake.calls_to("chat.postMessage")) == posted  # nothing was posted for everyone


def test_empty_command_is_help_too(harness: Harness) -> None:
    body = harness.driver.slash("UALICE", CHANNEL, "").json()
    assert "`/accord help`" in _all_text(body)


def test_unknown_subcommand_gets_help_and_did_you_mean(harness: Harness) -> None:
    body = harness.driver.slash("UBOB", CHANNEL, "remnid in 2d hello").json()
    text = _all_text(body)
    assert "`remnid` is not an Accord command" in text
    assert "Did you mean `/accord remind`?" in text
    assert "`/accord help`" in text


def test_gibberish_gets_help_without_a_suggestion(harness: Harness) -> None:
    body = harness.driver.slash("UBOB", CHANNEL, "zzqx").json()
    assert "`zzqx` is not an Accord command" in body["text"] and "Did you mean" not in body["text"]
