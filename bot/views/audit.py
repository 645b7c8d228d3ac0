"""The *Audit report* button: on App Home (the report comes to the clicker in a DM) and on each review's message
(it is shared in the review's thread); bot/listeners/report.py answers it."""

from __future__ import annotations

from bot.ids import Act
from bot.views.blocks import Block
from bot.views.rmp import actions_block, button

LABEL = "Audit report"


def report_button(channel: str, *, review: int | None = None) -> dict[str, object]:
    """The button; `review` (a review's number) shares the report in that review's thread."""
    value: dict[str, object] = {"channel": channel}
    if review is not None:
        value["number"] = review
    return button(LABEL, Act.AUDIT_REPORT, value)


def report_actions(channel: str) -> Block:
    """App Home's row: the button alone."""
    return actions_block([report_button(channel)])
