"""Proposals in Slack: the Approve, Reject and Withdraw buttons on a proposal's message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps, answer_errors
from bot.ids import ProposalAct
from bot.listeners.requests import button_actor_or_tell
from bot.views.rmp import saved
from commands.actor import Actor
from commands.consent import decisions

Decide = Callable[[Deps, Actor, int], str]


def _approve(deps: Deps, actor: Actor, number: int) -> str:
    with deps.unit_of_work() as db:
        decisions.approve(db, actor=actor, number=number, now=deps.clock())
    return f"You approved proposal #{number}: it is in effect."


def _reject(deps: Deps, actor: Actor, number: int) -> str:
    with deps.unit_of_work() as db:
        decisions.reject(db, actor=actor, number=number, reason="", now=deps.clock())
    return f"You rejected proposal #{number}: nothing changed."


def _withdraw(deps: Deps, actor: Actor, number: int) -> str:
    with deps.unit_of_work() as db:
        decisions.withdraw(db, actor=actor, number=number, now=deps.clock())
    return f"You withdrew proposal #{number}."


BUTTONS: dict[ProposalAct, Decide] = {
    ProposalAct.APPROVE: _approve, ProposalAct.REJECT: _reject, ProposalAct.WITHDRAW: _withdraw,
}


def register(app: App, deps: Deps) -> None:
    """Listen for the proposal buttons; the clicker hears the outcome privately, the message updates itself."""

    def on_click(decide: Decide) -> Callable[..., None]:
        def listener(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            actor, value = button_actor_or_tell(deps, body)
            if actor is None:
                return
            deps.tell(actor, answer_errors(lambda: saved(decide(deps, actor, int(value.get("number") or 0)))))

        return listener

    for act, decide in BUTTONS.items():
        app.action(act.value)(on_click(decide))
