"""Modal building blocks, and reading a submitted modal's values back (pure functions)."""

from __future__ import annotations

import json
from typing import Any

from bot.views.blocks import Block

VALUE = "value"  # every input's action_id: the block_id names the field
MAX_SELECT_OPTIONS = 100  # Slack's limits on a static select's options
MAX_CHOICES = 10  # and on radio buttons' and checkboxes'


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:150], "emoji": True}


def option(value: str, label: str) -> dict[str, Any]:
    """A select, radio or checkbox option."""
    return {"text": _plain(label[:75]), "value": value}


def modal(
    callback_id: str, title: str, blocks: list[Block], *, metadata: dict[str, Any], submit: str = "Save"
) -> dict[str, Any]:
    """A modal view; `metadata` travels back in private_metadata."""
    return {
        "type": "modal", "callback_id": callback_id, "title": _plain(title[:24]), "submit": _plain(submit),
        "close": _plain("Cancel"), "private_metadata": json.dumps(metadata), "blocks": blocks[:100],
    }


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str | None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": _plain(label[:2000]), "element": element,
                    "optional": optional}
    if hint:
        block["hint"] = _plain(hint[:2000])
    return block


def text_input(block_id: str, label: str, *, initial: str = "", multiline: bool = False, optional: bool = False,
               hint: str | None = None, max_length: int = 3000) -> Block:
    """A plain text input."""
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE, "multiline": multiline,
                               "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    return _input(block_id, label, element, optional=optional, hint=hint)


def _kept(options: list[dict[str, Any]], chosen: list[str], most: int) -> list[dict[str, Any]]:
    """At most `most` of `options`, in their order: the chosen ones first kept, then the first of the others."""
    if len(options) <= most:
        return options
    picked = [i for i, o in enumerate(options) if o["value"] in chosen][:most]
    others = [i for i, o in enumerate(options) if o["value"] not in chosen][:most - len(picked)]
    return [options[i] for i in sorted(picked + others)]


def _initial(kept: list[dict[str, Any]], initial: str | None) -> dict[str, Any] | None:
    """The kept option whose value is `initial` (Slack refuses an initial option missing from the options)."""
    return next((o for o in kept if o["value"] == initial), None) if initial is not None else None


def select(block_id: str, label: str, options: list[dict[str, Any]], *, initial: str | None = None,
           optional: bool = False, hint: str | None = None) -> Block:
    """A static select of at most 100 options, the initial one among them."""
    kept = _kept(options, [initial] if initial is not None else [], MAX_SELECT_OPTIONS)
    element: dict[str, Any] = {"type": "static_select", "action_id": VALUE, "options": kept}
    chosen = _initial(kept, initial)
    if chosen is not None:
        element["initial_option"] = chosen
    return _input(block_id, label, element, optional=optional, hint=hint)


def radios(block_id: str, label: str, options: list[dict[str, Any]], *, initial: str) -> Block:
    """Radio buttons (at most 10, the initial one among them)."""
    kept = _kept(options, [initial], MAX_CHOICES)
    element: dict[str, Any] = {"type": "radio_buttons", "action_id": VALUE, "options": kept}
    chosen = _initial(kept, initial)
    if chosen is not None:
        element["initial_option"] = chosen
    return _input(block_id, label, element, optional=False, hint=None)


def checkboxes(block_id: str, label: str, options: list[dict[str, Any]], *, initial: list[str],
               optional: bool = True) -> Block:
    """Checkboxes (at most 10, the initially checked ones among them); Slack asks for one ticked unless
    `optional`."""
    kept = _kept(options, initial, MAX_CHOICES)
    element: dict[str, Any] = {"type": "checkboxes", "action_id": VALUE, "options": kept}
    chosen = [o for o in kept if o["value"] in initial]
    if chosen:
        element["initial_options"] = chosen
    return _input(block_id, label, element, optional=optional, hint=None)


def date_picker(block_id: str, label: str, *, initial: str | None = None, optional: bool = False) -> Block:
    """A date picker (YYYY-MM-DD)."""
    element: dict[str, Any] = {"type": "datepicker", "action_id": VALUE}
    if initial:
        element["initial_date"] = initial
    return _input(block_id, label, element, optional=optional, hint=None)


def user_picker(block_id: str, label: str, *, initial: str | None = None) -> Block:
    """A single user select."""
    element: dict[str, Any] = {"type": "users_select", "action_id": VALUE}
    if initial:
        element["initial_user"] = initial
    return _input(block_id, label, element, optional=False, hint=None)


def submitted_values(view: dict[str, Any]) -> dict[str, Any]:
    """{block_id: value} from a view_submission: text, selected value, list of values, date or user."""
    values: dict[str, Any] = {}
    for block_id, actions in (view.get("state", {}).get("values") or {}).items():
        state: dict[str, Any] = actions.get(VALUE) or next(iter(actions.values()), {})
        kind = state.get("type")
        if kind == "checkboxes":
            values[block_id] = [o["value"] for o in state.get("selected_options") or []]
        elif kind in ("static_select", "radio_buttons"):
            values[block_id] = (state.get("selected_option") or {}).get("value", "")
        elif kind == "datepicker":
            values[block_id] = state.get("selected_date") or ""
        elif kind == "users_select":
            values[block_id] = state.get("selected_user") or ""
        else:
            values[block_id] = (state.get("value") or "").replace("\x00", "")  # no database stores a NUL
    return values


def metadata_of(view: dict[str, Any]) -> dict[str, Any]:
    """The private_metadata a modal was opened with."""
    try:
        loaded = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
