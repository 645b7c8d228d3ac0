"""The form button ("Open the … form", action ids rmp.open_form and rmp.open_form:<name>): the forms it opens,
declared here once, like the slash routes in listeners.slash."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.ids import Act
from bot.listeners import charter, checkins, disputes, ideas, plan, promises, reviews, wins
from bot.listeners.requests import ButtonHandler, Request, button_listener


def _evidence(value: dict[str, Any]) -> tuple[str, str] | None:
    """The message a dispute is raised on, when the button names one (a mention in a thread)."""
    return (value["evidence_channel"], value["evidence_ts"]) if value.get("evidence_ts") else None


# the forms that are not plan items (objective, kpi, risk, action, exit: plan.plan_form) -> their opener
OPENERS: Mapping[str, ButtonHandler] = MappingProxyType({
    "setup": lambda request, value: plan.open_setup(request),
    "checkin": lambda request, value: checkins.open_answer_form(request),
    "dispute": lambda request, value: disputes.open_raise_form(request, _evidence(value)),
    "value": lambda request, value: reviews.open_value_form(request),
    "win": wins.open_win_form,
    "commit": promises.open_commit_form,
    "idea": ideas.open_idea_form,
    "charter": charter.open_charter_form,
})


def open_any_form(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    """Open the form the button's value names (`form`, and `number` to edit a plan item)."""
    name = str(value.get("form"))
    opener = OPENERS.get(name)
    return opener(request, value) if opener else plan.plan_form(request, name, value.get("number"))


def register(app: App, deps: Deps) -> None:
    """Listen for the form buttons."""
    # a row of form buttons needs an action id each: rmp.open_form:kpi, rmp.open_form:risk…
    app.action(re.compile(rf"^{re.escape(Act.OPEN_FORM.value)}(:[a-z_]+)?$"))(button_listener(deps, open_any_form))
