"""Numbers people type: `#3`, `edit 12`, a rating of `4`, a ladder's `| 5` days."""

from __future__ import annotations

LARGEST = 2**31 - 1  # a database integer: a larger "number" names nothing Accord stores


def whole_number(text: str) -> int | None:
    """The whole number `text` spells in the digits 0-9, or None.

    `str.isdigit` is no test: it passes "²" and "①", which `int` refuses, and "٣", which a person did
    not type as a number here; and a number past a database integer would fail the query it goes into."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= LARGEST else None
