"""The audit report from Slack: `/accord report` (and `@accord report`) and App Home's *Audit report* button send
it to the person as a file in a DM; the button on a review's message shares it in that review's thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.ids import Act
from bot.listeners.requests import Request, Route, button_listener
from bot.views.rmp import saved
from commands.errors import InputError
from commands.numbers import whole_number
from commands.report import sharing


def _share(request: Request, review_number: int | None) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        said = sharing.share(db, actor=request.actor, now=request.deps.clock(), review_number=review_number)
    return saved(said)


def _report(request: Request) -> dict[str, Any]:
    if request.rest.strip():
        raise InputError("Usage: `/accord report` sends you the audit report as an HTML file.")
    return _share(request, None)


ROUTES: dict[str, Route] = {"report": _report}


def register(app: App, deps: Deps) -> None:
    """Listen for the *Audit report* buttons (App Home's carries no review number)."""
    app.action(Act.AUDIT_REPORT.value)(button_listener(
        deps, lambda request, value: _share(request, whole_number(str(value.get("number") or "")))))
