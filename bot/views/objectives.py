"""Objectives in the channel: an objective that turned failing, and the exit triggers it fired."""

from __future__ import annotations

from typing import Any

from bot.views.blocks import context, escape, possessive, section


def failing(data: dict[str, Any]) -> dict[str, Any]:
    """Posted when an objective turns failing: which, who marked it, and which exit triggers fired (each
    trigger's own message warns the SERs)."""
    whose = "ours" if data["whose"] == "ours" else f"{possessive(data['whose'])} own"
    head = f"Objective #{data['number']} “{data['title']}” ({whose}) is failing"
    fired = data.get("fired") or []
    if fired:
        triggered = "; ".join(f"#{t['number']} {escape(str(t['description']))}" for t in fired)
        then = (f":rotating_light: Exit trigger{'s' if len(fired) > 1 else ''} fired: {triggered}. The SERs "
                "should meet and decide, with the exit strategy in hand, whether to go on.")
    else:
        then = ("No exit trigger fired. Agree a recovery plan with an owner and a date, or drop the objective "
                "together.")
    numbers = ", ".join(f"#{t['number']}" for t in fired)
    fired_text = f" {'Exit trigger' if len(fired) == 1 else 'Exit triggers'} fired: {numbers}." if fired else ""
    return {"text": f"{head}.{fired_text}",
            "blocks": [section(f":warning: *{escape(head)}* (marked by <@{data['by']}>)."), section(then),
                       context("The next review recommends action on it.")]}
