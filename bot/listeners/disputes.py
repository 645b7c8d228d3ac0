"""Disputes in Slack: `/accord dispute(s)`, the "Raise as dispute" shortcut, `@accord dispute` in a
thread, the buttons on a dispute's root message and its forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps, answer_errors
from bot.ids import SHORTCUT_RAISE, Callback, DisputeAct
from bot.listeners.requests import Request, Route, button_actor_or_tell, button_request, open_modal
from bot.listeners.submissions import Save, form_listener
from bot.payloads import message_shortcut
from bot.views import disputes as views
from commands.actor import Actor
from commands.disputes import lifecycle
from commands.errors import InputError
from commands.rmp import access

# button -> (modal title, field, label, submit) for the one-field forms; RESUME needs no form
TEXT_FORMS = {
    DisputeAct.ESCALATE: ("Escalate now", "reason", "Why escalate now?", "Escalate"),
    DisputeAct.PAUSE: ("Pause the clock", "reason", "Why pause?", "Pause"),
    DisputeAct.PROPOSE: ("Propose a resolution", "resolution", "The resolution you propose", "Propose"),
    DisputeAct.NOTE: ("Add a note", "note", "Note", "Add"),
    DisputeAct.ACCEPT: ("Accept and close", "lessons", "Lessons learned", "Accept"),
    DisputeAct.REJECT: ("Reject the proposal", "reason", "Why not? (optional)", "Reject"),
}


def open_raise_form(request: Request, evidence: tuple[str, str] | None = None) -> dict[str, Any]:
    """Open the raise form (evidence: the channel and ts of the message or thread it is raised from)."""
    with request.deps.reading() as db:
        me = access.member(db, request.actor)
        if me.role == "observer":
            raise InputError("Observers follow disputes but do not raise them.")
        parties = [(me.party.slot, me.party.name)]  # "Raised by" offers only the party one may raise for
    metadata = {"channel": request.actor.channel_id, "evidence": list(evidence) if evidence else None}
    return open_modal(request, views.raise_modal(parties, me.party.slot, metadata))


def _dispute(request: Request) -> dict[str, Any]:
    if request.rest.strip():
        raise InputError("Usage: `/accord dispute` opens the form; `/accord disputes` lists the open ones.")
    return open_raise_form(request)


def _disputes(request: Request) -> dict[str, Any]:
    with request.deps.reading() as db:
        return views.open_list(lifecycle.list_open(db, actor=request.actor, now=request.deps.clock()))


ROUTES: dict[str, Route] = {"dispute": _dispute, "disputes": _disputes}


def _save_raise(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    evidence = meta.get("evidence") or [None, None]
    form = lifecycle.RaiseInput(title=values.get("title", ""), description=values.get("description", ""),
                                raising_slot=values.get("raising_slot", ""), severity=values.get("severity", ""),
                                desired_outcome=values.get("desired_outcome", ""), evidence_channel=evidence[0],
                                evidence_ts=evidence[1])
    with deps.unit_of_work() as db:
        dispute = lifecycle.raise_dispute(db, actor=actor, form=form, now=deps.clock())
        return f"Dispute #{dispute.number} is raised; its thread is in the channel."


def _save_text(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    verb, number, proposal = meta.get("verb"), int(meta.get("number") or 0), meta.get("proposal")
    field = TEXT_FORMS[DisputeAct(str(verb))][1]
    value = values.get(field, "")
    with deps.unit_of_work() as db:
        now = deps.clock()
        if verb == DisputeAct.ESCALATE:
            lifecycle.escalate_now(db, actor=actor, number=number, reason=value, now=now)
        elif verb == DisputeAct.PAUSE:
            lifecycle.pause(db, actor=actor, number=number, reason=value, now=now)
        elif verb == DisputeAct.PROPOSE:
            lifecycle.propose(db, actor=actor, number=number, resolution=value, now=now)
        elif verb == DisputeAct.NOTE:
            lifecycle.add_note(db, actor=actor, number=number, note=value, now=now)
        elif verb == DisputeAct.ACCEPT:
            lifecycle.accept(db, actor=actor, number=number, lessons=value, now=now, proposal=proposal)
        else:
            lifecycle.reject(db, actor=actor, number=number, reason=value, now=now, proposal=proposal)
    return f"Done: dispute #{number} is updated in its thread."


def _check_before_form(request: Request, verb: DisputeAct, number: int, proposal: int | None) -> None:
    """Refuse before the form opens when the person could not submit it anyway."""
    with request.deps.reading() as db:
        if verb in (DisputeAct.ACCEPT, DisputeAct.REJECT):
            lifecycle.check_can_decide(db, actor=request.actor, number=number, proposal=proposal)
        elif verb == DisputeAct.PAUSE and access.member(db, request.actor).role != "ser":
            raise InputError("Only an SER of either party pauses a dispute.")
        else:
            lifecycle.find(db, lifecycle.participant(db, request.actor, lock=False), number)


def register(app: App, deps: Deps) -> None:
    """Listen for the dispute buttons, the shortcut and the forms."""
    def on_dispute_button(verb: DisputeAct) -> Callable[..., None]:
        def listener(ack: Ack, body: dict[str, Any], client: Any) -> None:
            ack()
            actor, value = button_actor_or_tell(deps, body)
            if actor is None:
                return
            number = int(value.get("number") or 0)
            request = button_request(deps, body, actor, client)

            def run() -> dict[str, Any]:
                if verb == DisputeAct.RESUME:
                    with deps.unit_of_work() as db:
                        lifecycle.resume(db, actor=actor, number=number, now=deps.clock())
                    return {}
                proposal = value.get("proposal")
                _check_before_form(request, verb, number, proposal)
                title, field, label, submit = TEXT_FORMS[verb]
                view = views.text_modal(Callback.DISPUTE_TEXT, title, field, label, submit=submit,
                                        optional=verb == DisputeAct.REJECT,
                                        metadata={"channel": actor.channel_id, "number": number, "verb": verb.value,
                                                  "proposal": proposal})
                return open_modal(request, view)

            reply = answer_errors(run)
            if reply.get("text"):
                deps.tell(actor, reply)

        return listener

    for verb in DisputeAct:
        if verb != DisputeAct.RAISE:
            app.action(verb.value)(on_dispute_button(verb))

    @app.shortcut(SHORTCUT_RAISE)
    def from_message(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        shortcut = message_shortcut(body)  # a reply's evidence is its thread
        request = button_request(deps, body, shortcut.actor, client)
        reply = answer_errors(lambda: open_raise_form(request, (shortcut.channel_id, shortcut.ts)))
        if reply.get("text"):
            deps.tell(shortcut.actor, reply)

    saves: dict[str, Save] = {Callback.DISPUTE_RAISE.value: _save_raise, Callback.DISPUTE_TEXT.value: _save_text}
    for callback_id, save in saves.items():
        app.view(callback_id)(form_listener(deps, save))
