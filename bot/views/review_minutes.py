"""The review's minutes on its message: each party's expectations, the actions evaluated per party, the lessons,
and what each SER confirmed reviewing; the forms that record them (expectations, a lesson, the sign-off)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import Act, Callback
from bot.views.blocks import Block, escape, section, sections
from bot.views.inputs import checkboxes, modal, option, radios, text_input
from bot.views.rmp import actions_block, button
from commands.reviews.minutes import EXIT, PLAN, SCORES, ExpectationsForm, SignForm
from commands.wording import plural, possessive


def _local(moment: str, tz: str) -> str:
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(tz)).strftime("%d %b %Y %H:%M")


def _names(f: dict[str, Any]) -> dict[int, str]:
    return {p["slot"]: p["name"] for p in f["parties"]}


def _expectations(data: dict[str, Any]) -> list[str]:
    f = data["figures"]
    stated = {e["slot"]: e for e in data.get("expectations", [])}
    lines = ["*Expectations met* (1 to 5, stated by each party)"]
    for slot, name in _names(f).items():
        e = stated.get(slot)
        if e is None:
            lines.append(f"*{escape(name)}*: not stated yet")
            continue
        note = f": “{escape(e['note'])}”" if e["note"] else ""
        lines.append(f"*{escape(name)}*: {e['score']}/5, {SCORES[e['score']]}{note} "
                     f"(<@{e['user']}>, {_local(e['at'], f['timezone'])})")
    return lines


def _actions(f: dict[str, Any]) -> list[str]:
    lines = ["*Actions by party* (by the owner's party)"]
    for side in f.get("actions_by_party", []):
        late = f" ({len(side['done_late'])} late)" if side["done_late"] else ""
        lines.append(f"*{escape(side['name'])}*: {side['done']} done{late}, {len(side['overdue'])} overdue, "
                     f"{len(side['cannot'])} cannot be completed")
        lines += [f"     :warning: #{a['number']} {escape(a['description'])}: overdue by "
                  f"{plural(a['days_late'], 'day')} (due {a['due_on']})" for a in side["overdue"]]
        lines += [f"     :no_entry: #{a['number']} {escape(a['description'])}: cannot be completed: "
                  f"{escape(a['reason'])}" for a in side["cannot"]]
        lines += [f"     :hourglass: #{a['number']} {escape(a['description'])}: done {plural(a['days_late'], 'day')} "
                  "late" for a in side["done_late"]]
    return lines


def _lessons(data: dict[str, Any]) -> list[str]:
    f, lessons = data["figures"], data.get("lessons", [])
    names = _names(f)
    lines = [f"*Lessons* ({len(lessons)})"]
    for lesson in lessons:
        lines += [f"*{lesson['number']}.* {escape(lesson['failure'])} "
                  f"({escape(names.get(lesson['slot'], '?'))}, <@{lesson['user']}>)",
                  f"     _Why:_ {escape(lesson['reason'])}", f"     _Avoid it by:_ {escape(lesson['avoidance'])}"]
    if not lessons:
        lines.append("No lessons recorded yet: failures or mistakes, their reasons and how to avoid them go "
                     "here (*Add a lesson*).")
    return lines


def minutes_blocks(data: dict[str, Any]) -> list[Block]:
    """The expectations, the actions per party and the lessons, as the review's message shows them."""
    f = data["figures"]
    blocks = sections(_expectations(data))
    if "actions_by_party" in f:  # reviews held before the evaluation was recorded have none
        blocks += sections(_actions(f))
    return blocks + sections(_lessons(data))


def reviewed(signature: dict[str, Any]) -> str:
    """What the SER confirmed reviewing when signing ("" for sign-offs recorded before it was asked)."""
    if signature.get("plan_version") is None:
        return ""
    exit_ = " and the exit strategy" if signature.get("exit_reviewed") else ""
    return f" · reviewed plan version {signature['plan_version']}{exit_}"


def buttons(f: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a review awaiting sign-off that record its minutes."""
    value = {"channel": f["channel"], "number": f["number"]}
    return [button("State our expectations", Act.REVIEW_EXPECT, value),
            button("Add a lesson", Act.REVIEW_LESSON, value)]


def expectations_first(message: str, *, channel: str, number: int) -> dict[str, Any]:
    """The sign-off's answer when the party has not stated its expectations: why, with the button to."""
    value = {"channel": channel, "number": number}
    return {"text": message, "blocks": [section(message), actions_block(
        [button("State our expectations", Act.REVIEW_EXPECT, value, style="primary")])]}


def _metadata(channel: str, number: int, home: bool) -> dict[str, Any]:
    """What the form's submission needs: the channel, the review, and whether it opened from the App Home (which
    is then drawn again)."""
    return {"channel": channel, "number": number, **({"home": True} if home else {})}


def expectations_modal(form: ExpectationsForm, *, channel: str, home: bool = False) -> dict[str, Any]:
    """How far the party's expectations were met in the review's period, 1 to 5 with a note."""
    blocks = [
        section(f"How far were *{escape(possessive(form.party))}* expectations met in review #{form.number}'s period? "
                "You can restate them until your SER signs the review off."),
        radios("score", "Expectations met", [option(str(n), f"{n}: {label}") for n, label in SCORES.items()],
               initial=str(form.score or 3)),
        text_input("note", "Note", initial=form.note, multiline=True, optional=True, max_length=1000,
                   hint="What was met, what was not, and why"),
    ]
    return modal(Callback.REVIEW_EXPECT, f"Review #{form.number}", blocks,
                 metadata=_metadata(channel, form.number, home), submit="State")


def lesson_modal(number: int, *, channel: str, home: bool = False) -> dict[str, Any]:
    """A lesson: a failure or mistake, its reason, and how to avoid it."""
    blocks = [
        text_input("failure", "What went wrong", multiline=True, max_length=1000,
                   hint="A failure or mistake in the review's period"),
        text_input("reason", "Why", multiline=True, max_length=1000),
        text_input("avoidance", "How to avoid it", multiline=True, max_length=1000),
    ]
    return modal(Callback.REVIEW_LESSON, f"Lesson for review #{number}", blocks,
                 metadata=_metadata(channel, number, home), submit="Record")


def sign_modal(form: SignForm, *, channel: str, home: bool = False) -> dict[str, Any]:
    """The SER's sign-off: what they confirm having reviewed."""
    blocks = [
        section(f"You sign review #{form.number} off for *{escape(form.party)}*. The sign-off records what you "
                "reviewed; the review then waits only for the other party's SER, if it has not signed."),
        checkboxes("reviewed", "I confirm", [option(PLAN, f"I reviewed the plan (version {form.plan_version})"),
                                             option(EXIT, "I reviewed the exit strategy")], initial=[],
                   optional=False),  # the plan's tick is required: the sign-off records the version
    ]
    return modal(Callback.REVIEW_SIGN, f"Sign off review #{form.number}", blocks,
                 metadata={**_metadata(channel, form.number, home), "plan_version": form.plan_version},
                 submit="Sign off")
