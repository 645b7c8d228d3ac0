"""Reading form values: each reader names its field, so a modal shows the error inline."""

from __future__ import annotations

import math
import re
from datetime import date

from commands.errors import InputError

_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")


def text(value: str | None, *, field: str, label: str, limit: int, required: bool = True) -> str:
    """Trimmed text of at most `limit` characters; required unless said otherwise."""
    clean = (value or "").replace("\x00", "").strip()  # PostgreSQL cannot store a NUL; nobody means one
    if required and not clean:
        raise InputError(f"{label} cannot be empty.", field=field)
    if len(clean) > limit:
        raise InputError(f"{label} holds at most {limit} characters (this has {len(clean)}).", field=field)
    return clean


def number(value: str | float | None, *, field: str, label: str) -> float:
    """A finite number (commas as thousands separators allowed)."""
    raw = str(value if value is not None else "").strip().replace(",", "")
    try:
        parsed = float(raw)
    except ValueError:
        raise InputError(f"{label} must be a number.", field=field) from None
    if not math.isfinite(parsed):
        raise InputError(f"{label} must be a number.", field=field)
    return parsed


def whole(value: str | int | None, *, field: str, label: str, low: int, high: int) -> int:
    """A whole number from `low` to `high`."""
    try:
        parsed = int(str(value if value is not None else "").strip())
    except ValueError:
        parsed = low - 1
    if not low <= parsed <= high:
        raise InputError(f"{label} must be a whole number from {low} to {high}.", field=field)
    return parsed


def iso_date(value: str | date | None, *, field: str, label: str, not_before: date | None = None) -> date:
    """A date as YYYY-MM-DD (a date picker sends that), optionally not before `not_before`."""
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise InputError(f"{label} must be a date like 2026-12-31.", field=field) from None
    if not_before is not None and parsed < not_before:
        raise InputError(f"{label} is in the past: pick {not_before.isoformat()} or later.", field=field)
    return parsed


def choice(value: str | None, options: tuple[str, ...], *, field: str, label: str) -> str:
    """One of `options`."""
    clean = (value or "").strip().lower()
    if clean not in options:
        raise InputError(f"{label} must be one of: {', '.join(options)}.", field=field)
    return clean


def user_id(value: str | None, *, field: str, label: str) -> str:
    """A Slack user id, given as `U123` or as a mention `<@U123|name>`."""
    match = _USER.match((value or "").strip())
    if not match:
        raise InputError(f"{label} must be a Slack user (mention them with @).", field=field)
    return match.group(1) or match.group(2)
