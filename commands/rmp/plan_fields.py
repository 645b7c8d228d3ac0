"""The plan file's field types: strict numbers and flags, days, instants, texts within the shared limits
(storage/limits.py), choices, and the checks that read a field as the forms do; each refusal says what it expected
in the words `accord import` prints (`expected a number, got 'abc'`)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, NoReturn

from annotated_types import Interval, MaxLen
from pydantic import (
    AfterValidator,
    AllowInfNan,
    Field,
    PlainValidator,
    Strict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from commands.calendar import parse_cadence, zone
from commands.errors import InputError
from commands.rmp import actions
from commands.rmp.export import WEEKDAYS, PlanFileError, shown
from storage import limits
from storage.utc import as_utc, parse_instant

MAX_INT = 2**31 - 1  # the columns are 32-bit integers
PERSON_NAME = limits.PERSON_NAME
DIRECTIONS = ("higher", "lower")
ACTION_STATUSES = (actions.OPEN, actions.DONE, actions.CANNOT)
LEFT_HOW = ("", "left", "removed", "deactivated")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def problem(path: str, message: str) -> NoReturn:
    raise PlanFileError(f"{path}: {message}", field=path)


# The values of the file. Each refusal is raised with the message the error will show; `at` continues the
# field's path into the value (`[0].days`); pydantic's own refusals are worded in `_plan_error`.

def fail(message: str, at: str = "") -> NoReturn:
    raise PydanticCustomError("plan", "{message}", {"message": message, "at": at})


def _expected(what: str, value: Any, at: str = "") -> NoReturn:
    fail(f"expected {what}, got {shown(value)}", at)


class _Rules(tuple[Any, ...]):
    """Several of pydantic's rules as one argument of `Annotated`."""

    __is_annotated_types_grouped_metadata__ = True


def _expecting(what: str) -> WrapValidator:
    """Pydantic's check of the value, its refusal worded `expected <what>, got <the value>`."""
    def wrap(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            _expected(what, value)
    return WrapValidator(wrap)


def _not_blank(value: str) -> str:
    if not value.strip():
        fail("cannot be empty")
    return value


def text(limit: int, *, required: bool = True) -> _Rules:
    """Text of at most `limit` characters, kept exactly as written; not blank when required."""
    return _Rules((Strict(), _expecting("text"), *[AfterValidator(_not_blank)][:required], MaxLen(limit)))


def checked(limit: int, rule: Callable[[str], object], *, required: bool = True) -> _Rules:
    """Text the use cases' own `rule` accepts; its reason when it does not."""
    def check(value: str) -> str:
        try:
            rule(value)
        except InputError as exc:
            fail(exc.message)
        return value
    return _Rules((*text(limit, required=required), AfterValidator(check)))


def whole(low: int, high: int) -> _Rules:
    """A whole number from `low` to `high` (neither true nor 1.0)."""
    return _Rules((Strict(), Interval(ge=low, le=high), _expecting(f"a whole number from {low} to {high}")))


def choice(options: tuple[Any, ...], what: str | None = None) -> PlainValidator:
    """One of `options`, exactly."""
    def read(value: Any) -> Any:
        if isinstance(value, bool) or value not in options:
            _expected(what or "one of " + ", ".join(str(option) for option in options), value)
        return value
    return PlainValidator(read)


def read_day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DAY.match(value):
        with suppress(ValueError):
            return date.fromisoformat(value)
    _expected("a date like 2026-12-31", value)


def _instant(value: Any) -> datetime:
    """An ISO 8601 time, in UTC when it has no offset."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str):
        with suppress(ValueError):
            return parse_instant(value)
    _expected("a time like 2026-11-25T09:30:00+00:00", value)


def _json(value: Any, at: str = "") -> Any:
    """Plain JSON values (text, numbers, true/false, null, lists, mappings), kept exactly as written."""
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                fail(f"the key {shown(key)} is not text", at)
        return {key: _json(item, f"{at}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item, f"{at}[{index}]") for index, item in enumerate(value)]
    if value is None or isinstance(value, str | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    _expected("text, a number, true, false, null, a list or a mapping", value, at)


def _mapping(value: Any, *, nullable: bool) -> Any:
    if nullable and value is None:
        return None
    if not isinstance(value, dict):
        _expected("a mapping or null" if nullable else "a mapping", value)
    return _json(value)


def _not_negative(value: Any, handler: ValidatorFunctionWrapHandler) -> float:
    amount: float = handler(value)
    if amount < 0:
        _expected("an amount of 0 or more", value)
    return amount


def distinct_weekdays(days: list[int]) -> list[int]:
    if not days or len(set(days)) != len(days):
        fail(f"expected a list of distinct weekdays ({', '.join(WEEKDAYS)}), with at least one")
    return days


def read_weekday(value: Any) -> int:
    """A weekday by name (`mon` or `Monday`, any case) as stored: 0 (Monday) to 6 (Sunday)."""
    if isinstance(value, str):
        name = value.strip().lower()
        for index, (short, full) in enumerate(zip(WEEKDAYS, _FULL_DAYS, strict=True)):
            if name in (short, full):
                return index
    _expected(f"a weekday ({', '.join(WEEKDAYS)})", value)


def _shown_text(value: Any) -> str | None:
    """A name or words written for the reader: text or null, not read back."""
    if value is None or isinstance(value, str):
        return value
    _expected("text or null", value)


Weekday = Annotated[int, PlainValidator(read_weekday)]
# a name beside an id, a level's name, a change in words: written for the reader; read, checked as text, not kept
Shown = Annotated[str | None, PlainValidator(_shown_text), Field(exclude=True)]
Number = Annotated[float, Strict(), AllowInfNan(False), _expecting("a number")]
Amount = Annotated[float, Strict(), AllowInfNan(False), _expecting("a number"), WrapValidator(_not_negative)]
Flag = Annotated[bool, Strict(), _expecting("true or false")]
Day = Annotated[date, PlainValidator(read_day)]
Instant = Annotated[datetime, PlainValidator(_instant)]
Json = Annotated[dict[str, Any] | None, PlainValidator(partial(_mapping, nullable=True))]
Figures = Annotated[dict[str, Any], PlainValidator(partial(_mapping, nullable=False))]
Slot = Annotated[int, choice((1, 2), "a party slot, 1 or 2")]
ItemNumber = Annotated[int, whole(1, MAX_INT)]
SlackId = Annotated[str, text(limits.SLACK_ID)]
Title = Annotated[str, text(limits.TITLE)]
PartyName = Annotated[str, text(limits.PARTY)]
Description = Annotated[str, text(limits.DESCRIPTION)]
Detail = Annotated[str, text(limits.DETAIL, required=False)]
Long = Annotated[str, text(limits.LONG)]
Zone = Annotated[str, checked(limits.TIMEZONE, zone)]
Cadence = Annotated[str, checked(limits.CADENCE, lambda cadence: parse_cadence(cadence, field="cadence"))]
