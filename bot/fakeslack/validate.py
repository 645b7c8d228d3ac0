"""Block Kit validation for the fake: slack_sdk's models plus Slack's documented limits."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELD = 2000
MAX_HEADER_TEXT = 150
MAX_VIEW_TITLE = 24
MAX_BUTTON_TEXT = 75
MAX_ID = 255
MAX_SELECT_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_PRIVATE_METADATA = 3000
SELECT_TYPES = ("static_select", "multi_static_select")


def _all_block_types() -> set[str]:
    """Every block type slack_sdk knows how to parse."""
    found: set[str] = set()
    stack: list[type] = [Block]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        block_type = getattr(cls, "type", None)
        if isinstance(block_type, str):
            found.add(block_type)
    return found


KNOWN_BLOCK_TYPES = _all_block_types()


def decode_json(value: Any) -> Any:
    """Decode a JSON string (as form-encoded bodies carry blocks/view/metadata); other values pass through."""
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _text_of(obj: Any) -> str:
    """The text of a text object (or a bare string)."""
    if isinstance(obj, dict):
        text = obj.get("text", "")
        return text if isinstance(text, str) else ""
    return obj if isinstance(obj, str) else ""


def _check_len(errors: list[str], value: str, limit: int, what: str, pointer: str) -> None:
    """Append an error when `value` is longer than `limit`."""
    if len(value) > limit:
        errors.append(f"{what} must be at most {limit} characters, got {len(value)} [json-pointer:{pointer}]")


def _check_text_type(errors: list[str], obj: Any, pointer: str, *, plain_only: bool = False) -> None:
    """Append an error when a text object has a type Slack does not accept here."""
    if not isinstance(obj, dict):
        return
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in allowed:
        errors.append(f"text type must be one of {', '.join(allowed)}, got {obj.get('type')!r} "
                      f"[json-pointer:{pointer}/type]")


def _check_element(errors: list[str], el: Any, pointer: str, seen_actions: set[str]) -> None:
    """Explicit limit checks on one interactive element."""
    if not isinstance(el, dict):
        errors.append(f"element must be an object [json-pointer:{pointer}]")
        return
    action_id = el.get("action_id")
    if isinstance(action_id, str):
        _check_len(errors, action_id, MAX_ID, "action_id", f"{pointer}/action_id")
        if action_id in seen_actions:
            errors.append(f"action_id '{action_id}' is not unique in its block [json-pointer:{pointer}]")
        seen_actions.add(action_id)
    if el.get("type") == "button":
        _check_text_type(errors, el.get("text"), f"{pointer}/text", plain_only=True)
        _check_len(errors, _text_of(el.get("text")), MAX_BUTTON_TEXT, "button text", f"{pointer}/text/text")
    if el.get("type") in SELECT_TYPES:
        options = el.get("options") or []
        if len(options) > MAX_SELECT_OPTIONS:
            errors.append(f"select must have at most {MAX_SELECT_OPTIONS} options, got {len(options)} "
                          f"[json-pointer:{pointer}/options]")
        for j, opt in enumerate(options):
            if isinstance(opt, dict):
                _check_len(errors, _text_of(opt.get("text")), MAX_OPTION_TEXT, "option text",
                           f"{pointer}/options/{j}/text/text")
                _check_len(errors, str(opt.get("value", "")), MAX_OPTION_VALUE, "option value",
                           f"{pointer}/options/{j}/value")


def _check_block(errors: list[str], block: dict[str, Any], pointer: str) -> None:
    """Explicit limit checks on one block and the elements it contains."""
    block_type = block.get("type")
    block_id = block.get("block_id")
    if isinstance(block_id, str):
        _check_len(errors, block_id, MAX_ID, "block_id", f"{pointer}/block_id")
    if block_type == "section":
        _check_text_type(errors, block.get("text"), f"{pointer}/text")
        text = _text_of(block.get("text"))
        _check_len(errors, text, MAX_SECTION_TEXT, "section text", f"{pointer}/text/text")
        for j, fld in enumerate(block.get("fields") or []):
            field_ptr = f"{pointer}/fields/{j}/text"
            _check_len(errors, _text_of(fld), MAX_SECTION_FIELD, "section field", field_ptr)
    elif block_type == "header":
        _check_text_type(errors, block.get("text"), f"{pointer}/text", plain_only=True)
        text = _text_of(block.get("text"))
        _check_len(errors, text, MAX_HEADER_TEXT, "header text", f"{pointer}/text/text")
    elif block_type == "actions" and len(block.get("elements") or []) > MAX_ACTIONS_ELEMENTS:
        errors.append(f"actions block must have at most {MAX_ACTIONS_ELEMENTS} elements "
                      f"[json-pointer:{pointer}]")
    elif block_type == "context" and len(block.get("elements") or []) > MAX_CONTEXT_ELEMENTS:
        errors.append(f"context block must have at most {MAX_CONTEXT_ELEMENTS} elements "
                      f"[json-pointer:{pointer}]")
    seen_actions: set[str] = set()
    if isinstance(block.get("accessory"), dict):
        _check_element(errors, block["accessory"], f"{pointer}/accessory", seen_actions)
    if isinstance(block.get("element"), dict):
        _check_element(errors, block["element"], f"{pointer}/element", seen_actions)
    if block_type == "actions":
        for j, el in enumerate(block.get("elements") or []):
            _check_element(errors, el, f"{pointer}/elements/{j}", seen_actions)


def _sdk_errors(block: dict[str, Any], pointer: str) -> list[str]:
    """Errors slack_sdk's model raises for one block."""
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"unknown block type [json-pointer:{pointer}]"]
        parsed.validate_json()
        parsed.to_dict()
    except SlackObjectFormationError as exc:
        return [f"{exc} [json-pointer:{pointer}]"]
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        return [f"malformed block: {exc} [json-pointer:{pointer}]"]
    return []


def validate_blocks(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS,
                    prefix: str = "/blocks") -> list[str]:
    """Human-readable reasons why `blocks` (a list or its JSON string) is invalid; empty when valid."""
    blocks = decode_json(blocks)
    if not isinstance(blocks, list):
        return [f"blocks must be an array [json-pointer:{prefix}]"]
    if len(blocks) > max_blocks:
        return [f"must provide an array of no more than {max_blocks} items, got {len(blocks)} "
                f"[json-pointer:{prefix}]"]
    errors: list[str] = []
    seen_block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        pointer = f"{prefix}/{i}"
        if not isinstance(block, dict):
            errors.append(f"block must be an object [json-pointer:{pointer}]")
            continue
        block_type = block.get("type")
        if block_type not in KNOWN_BLOCK_TYPES:
            errors.append(f"unknown block type '{block_type}' [json-pointer:{pointer}/type]")
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in seen_block_ids:
                errors.append(f"duplicate block_id '{block_id}' [json-pointer:{pointer}/block_id]")
            seen_block_ids.add(block_id)
        before = len(errors)
        _check_block(errors, block, pointer)
        if len(errors) == before:
            errors.extend(_sdk_errors(block, pointer))
    return errors


def validate_view(view: Any) -> list[str]:
    """Human-readable reasons why a modal / home view (dict or JSON string) is invalid; empty when valid."""
    view = decode_json(view)
    if not isinstance(view, dict):
        return ["view must be an object [json-pointer:/view]"]
    view_type = view.get("type")
    if view_type not in ("modal", "home"):
        return [f"view type must be 'modal' or 'home', got {view_type!r} [json-pointer:/view/type]"]
    errors: list[str] = []
    if view_type == "modal":
        if not isinstance(view.get("title"), dict):
            errors.append("modal requires a plain_text title [json-pointer:/view/title]")
        for key in ("title", "submit", "close"):
            obj = view.get(key)
            if isinstance(obj, dict):
                if obj.get("type") != "plain_text":
                    errors.append(f"{key} must be plain_text [json-pointer:/view/{key}/type]")
                _check_len(errors, _text_of(obj), MAX_VIEW_TITLE, key, f"/view/{key}/text")
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and not view.get("submit"):
            errors.append("submit is required when an input block is present [json-pointer:/view/submit]")
    if isinstance(view.get("callback_id"), str):
        _check_len(errors, view["callback_id"], MAX_ID, "callback_id", "/view/callback_id")
    if isinstance(view.get("private_metadata"), str):
        _check_len(errors, view["private_metadata"], MAX_PRIVATE_METADATA, "private_metadata",
                   "/view/private_metadata")
    errors.extend(validate_blocks(view.get("blocks", []), max_blocks=MAX_VIEW_BLOCKS, prefix="/view/blocks"))
    if not errors:
        try:
            View(**view).validate_json()
        except SlackObjectFormationError as exc:
            errors.append(f"{exc} [json-pointer:/view]")
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            errors.append(f"malformed view: {exc} [json-pointer:/view]")
    return errors
