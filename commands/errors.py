"""Errors a use case raises for the person acting: one clear message, nothing changed."""

from __future__ import annotations


class InputError(Exception):
    """Bad input; `field` names what to fix so a modal can show the message inline."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Refused(Exception):
    """The actor may not do this here (not in the relationship, or their role does not allow it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
