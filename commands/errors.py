"""Errors a use case raises for the person acting: every problem with their input at once, nothing changed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

GENERAL = ""  # the key in `InputError.errors` of a problem that names no field


class InputError(Exception):
    """Bad input. `errors` maps each field to fix to its message, so a modal shows them all inline at once
    (a problem that names no field is under GENERAL); a single-field error is the one-entry case.

    `field` is the first field named (None when the first problem names none), `message` all the messages,
    one a line, for answers that are not a form."""

    def __init__(self, message: str = "", *, field: str | None = None,
                 errors: Mapping[str, str] | None = None) -> None:
        found = dict(errors) if errors else {field or GENERAL: message}
        self.errors: dict[str, str] = found
        self.message = "\n".join(found.values())
        self.field = next(iter(found)) or None
        super().__init__(self.message)


class FieldChecks:
    """Reads a form's fields one by one and keeps each field's first problem, so a form reports every bad
    field together: `read` each field, check across fields only when `fine` says their parts parsed, then
    `raise_if_any`."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def read(self, reader: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """`reader(*args, **kwargs)`, or None after recording the InputError it raised."""
        try:
            return reader(*args, **kwargs)
        except InputError as exc:
            self.record(exc)
            return None

    def record(self, error: InputError) -> None:
        """Keep the problems of `error`, each field's first one only."""
        for field, message in error.errors.items():
            self.errors.setdefault(field, message)

    def add(self, field: str, message: str) -> None:
        """Record a problem with `field` (a field keeps its first problem)."""
        self.errors.setdefault(field, message)

    def fine(self, *fields: str) -> bool:
        """Whether none of `fields` has a problem (so a check across them can run)."""
        return not any(field in self.errors for field in fields)

    def raise_if_any(self) -> None:
        """Raise one InputError with every problem recorded, if there is one."""
        if self.errors:
            raise InputError(errors=self.errors)


def renamed(error: InputError, rename: Callable[[str], str]) -> InputError:
    """`error` with each field renamed by `rename` (GENERAL stays); two renamed alike keep the first message."""
    errors: dict[str, str] = {}
    for field, message in error.errors.items():
        errors.setdefault(rename(field) if field else field, message)
    return InputError(errors=errors)


class Refused(Exception):
    """The actor may not do this here (not in the relationship, or their role does not allow it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
