"""Filling a modal as a person would: Slack's `state.values` from answers by block id."""

from __future__ import annotations

from typing import Any


def _initial(element: dict[str, Any]) -> Any:
    kind = element["type"]
    if kind == "plain_text_input":
        return element.get("initial_value", "")
    if kind in ("static_select", "radio_buttons"):
        return (element.get("initial_option") or {}).get("value")
    if kind == "checkboxes":
        return [o["value"] for o in element.get("initial_options", [])]
    if kind == "datepicker":
        return element.get("initial_date")
    if kind == "users_select":
        return element.get("initial_user")
    raise ValueError(f"unexpected element {kind}")


def fill(view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Slack's state.values for a modal: given answers by block id, else the initial values."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        answer = answers.get(block["block_id"], _initial(element))
        kind = element["type"]
        state: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            state["value"] = answer or None
        elif kind in ("static_select", "radio_buttons"):
            state["selected_option"] = {"value": answer, "text": {"type": "plain_text", "text": str(answer)}} \
                if answer is not None else None
        elif kind == "checkboxes":
            state["selected_options"] = [{"value": v, "text": {"type": "plain_text", "text": v}} for v in answer]
        elif kind == "datepicker":
            state["selected_date"] = answer
        elif kind == "users_select":
            state["selected_user"] = answer
        values[block["block_id"]] = {element["action_id"]: state}
    unknown = set(answers) - set(values)
    if unknown:
        raise KeyError(f"no such fields in the modal: {', '.join(sorted(unknown))}")
    return values
