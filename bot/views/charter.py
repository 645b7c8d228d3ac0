"""The partnership charter in Slack: the message that shows it, its line in status, and the form that changes it."""

from __future__ import annotations

from typing import Any

from bot.ids import Act, Callback
from bot.views.blocks import Block, context, escape, section, sections
from bot.views.inputs import checkboxes, modal, option, text_input
from bot.views.rmp import actions_block, button
from commands.rmp.charter import MOST_LINES, Charter, CharterInput, CharterLine
from commands.wording import plural
from storage import limits

USE_AS_STATEMENTS = "statements"  # the checkbox's value
BRIEF = 140  # characters of the mission in status and App Home


def edit_button(channel: str) -> dict[str, Any]:
    """The "Edit charter" button (it opens the charter form; the partner's people need no /accord for it)."""
    return button("Edit charter", f"{Act.OPEN_FORM}:charter", {"channel": channel, "form": "charter"})


def charter_message(charter: Charter) -> dict[str, Any]:
    """`/accord charter` and `@accord charter`: the mission, values and behaviours; an Edit button for editors."""
    head = f":scroll: *Partnership charter* · {escape(charter.relationship)}"
    if charter.empty:
        lines = [head, "_No charter yet: a mission statement, the values both parties share and the behaviours "
                       "both commit to._"]
    else:
        lines = [head, "*Mission*", escape(charter.mission) or "_none yet_", "*Shared values*",
                 *([f"• {escape(v)}" for v in charter.values] or ["_none yet_"]), "*Behaviours we commit to*",
                 *([f"• {escape(b)}" for b in charter.behaviours] or ["_none yet_"])]
    blocks: list[Block] = sections(lines)
    notes = ["Changed only with both parties' consent"]
    if charter.statements_are_behaviours:
        notes.append("check-ins rate these behaviours")
    if charter.pending is not None:
        notes.append(f"proposal #{charter.pending} to change it waits for a decision")
    blocks.append(context(" · ".join(notes)))
    if charter.can_edit:
        blocks.append(actions_block([edit_button(charter.channel_id)]))
    return {"response_type": "ephemeral", "text": f"Partnership charter: {charter.relationship}"[:3000],
            "blocks": blocks}


def status_line(line: CharterLine | None) -> list[Block]:
    """The charter in brief under the status header: the mission's start, and how many values and behaviours."""
    if line is None:
        return []
    mission = " ".join(line.mission.split())
    mission = mission if len(mission) <= BRIEF else mission[:BRIEF - 1] + "…"
    counts = f"{plural(line.values, 'value')}, {plural(line.behaviours, 'behaviour')}"
    said = f"“{escape(mission)}” · {counts}" if mission else counts
    return [context(f":scroll: Charter: {said} · `/accord charter`")]


def charter_modal(form: CharterInput, *, channel: str) -> dict[str, Any]:
    """The charter form: mission, values and behaviours one per line, and whether check-ins rate the behaviours."""
    return modal(Callback.CHARTER, "Partnership charter", [
        text_input("mission", "Mission statement", initial=form.mission, multiline=True, max_length=limits.LONG,
                   hint="Why the two organisations work together"),
        text_input("values", "Shared values", initial=form.values, multiline=True, optional=True,
                   hint=f"One per line, at most {MOST_LINES}"),
        text_input("behaviours", "Behaviours both parties commit to", initial=form.behaviours, multiline=True,
                   optional=True, hint=f"One per line, at most {MOST_LINES}"),
        checkboxes("use_as_statements", "Check-ins", [option(USE_AS_STATEMENTS,
                                                             "Use these behaviours as the check-in statements")],
                   initial=[USE_AS_STATEMENTS] if form.use_as_statements else []),
        section("Both parties agree the charter: once the partner has an SER or a manager, the change waits for "
                "their approval."),
    ], metadata={"channel": channel}, submit="Save")
