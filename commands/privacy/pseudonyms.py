"""How an erased person is named: a stable stand-in for their Slack id in the history, and a name.

The N-th person erased in a relationship (by `Person.erased_at`) is `ERASED<N>` in its history and is shown as
`Former participant N`: both follow from rows an export carries, so they survive an export and import."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

PREFIX = "ERASED"  # upper case letters and digits, so `<@ERASED3>` reads as a mention and is named, never resolved


class Erasable(Protocol):
    """What naming reads of a person row."""

    id: int | None
    name: str | None
    erased_at: datetime | None


def pseudonym(ordinal: int) -> str:
    """The stand-in for the `ordinal`-th erased person's Slack id in the history: `ERASED3` (unlike any Slack id)."""
    return f"{PREFIX}{ordinal}"


def former_name(ordinal: int) -> str:
    """The name an erased person is shown by: `Former participant 3`."""
    return f"Former participant {ordinal}"


def _in_order(people: Iterable[Erasable]) -> list[Erasable]:
    return sorted((p for p in people if p.erased_at is not None), key=lambda p: (p.erased_at, p.id or 0))


def stand_ins(people: Iterable[Erasable]) -> dict[str, str]:
    """{stand-in: name} of a relationship's erased people, numbered in the order they were erased."""
    return {pseudonym(n): p.name or former_name(n) for n, p in enumerate(_in_order(people), start=1)}


def stand_in_of(people: Iterable[Erasable], person: Erasable) -> str:
    """The stand-in of `person`, one of the erased `people` of a relationship."""
    return pseudonym(next(n for n, p in enumerate(_in_order(people), start=1) if p is person or p.id == person.id))
