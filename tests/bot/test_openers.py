"""The form button's openers are a static table: every form a button or a mention offers opens somewhere."""

from __future__ import annotations

from bot.listeners import events, openers
from commands.rmp import editing


def test_every_form_a_mention_offers_has_an_opener() -> None:
    for name in events.FORMS:
        assert name in openers.OPENERS or name in editing.FORMS, name


def test_the_openers_are_not_plan_forms_and_are_fixed_at_import() -> None:
    assert set(openers.OPENERS) == {"setup", "checkin", "dispute", "value", "win", "idea", "commit", "charter"}
    assert not set(openers.OPENERS) & set(editing.FORMS)
    assert not hasattr(openers.OPENERS, "__setitem__")  # a read-only mapping: nothing registers into it
