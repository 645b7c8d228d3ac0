"""Actions with an owner and a due date: done, or cannot complete with a reason the partner hears."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from commands import quiet
from commands.actor import Actor
from commands.calendar import zone
from commands.errors import FieldChecks, Refused
from commands.rmp import access, audit, chasing, items
from commands.rmp.fields import iso_date, text, user_id
from commands.wording import possessive
from storage import limits
from storage.rmp import Action, Person, Proposal, Relationship

OPEN, DONE, CANNOT = "open", "done", "cannot_complete"


@dataclass(frozen=True)
class ActionInput:
    """The action form as typed."""

    description: str
    owner: str
    due_on: str


def local_today(relationship: Relationship, now: datetime) -> date:
    """Today in the relationship's timezone."""
    return now.astimezone(zone(relationship.timezone)).date()


def is_overdue(action: Action, today: date) -> bool:
    """Open and past its due date."""
    return action.status == OPEN and action.due_on < today


def save_action(db: Session, *, actor: Actor, form: ActionInput, number: int | None,
                now: datetime) -> Action | Proposal:
    """Add (number None) or edit an action; editors only; due today or later. A party changes the actions its
    people own; an action for the partner's people is proposed to the partner."""
    by = access.editor(db, actor)
    before = items.find(db, Action, by.relationship.id or 0, number, label="action") if number else None
    checks = FieldChecks()
    owner = checks.read(user_id, form.owner, field="owner", label="The owner")
    owning = checks.read(access.require_person, db, by.relationship, owner, field="owner") if owner else None
    due_on = checks.read(iso_date, form.due_on, field="due_on", label="The due date")
    if due_on is not None and (before is None or before.due_on != due_on):
        # a new date must not be in the past; an overdue action keeps its date when edited
        checks.read(iso_date, due_on, field="due_on", label="The due date",
                    not_before=local_today(by.relationship, now))
    values = {
        "description": checks.read(text, form.description, field="description", label="The action",
                                   limit=limits.DESCRIPTION),
        "owner_user_id": owner,
        "due_on": due_on,
    }
    checks.raise_if_any()
    assert owning is not None  # raise_if_any saw to it
    return items.save_or_propose(db, by, entity="action", model=Action, values=values, number=number,
                                 user_id=actor.user_id,
                                 owners={owning.party.slot,
                                         *([access.owner_slot(db, by.relationship, before.owner_user_id)]
                                           if before else [])}, now=now)


def updatable(db: Session, *, actor: Actor, number: int) -> Action:
    """Action `number`, if the actor may mark it done or cannot-complete (Refused otherwise)."""
    return _own_or_edit(db, actor, number)[1]


def _own_or_edit(db: Session, actor: Actor, number: int) -> tuple[access.Member, Action]:
    me = access.member(db, actor, lock=True)
    action = items.find(db, Action, me.relationship.id or 0, number, label="action")
    owner = access.find_member(db, me.relationship, action.owner_user_id)
    if action.owner_user_id != actor.user_id and not (me.can_edit and (owner is None or owner.party.id == me.party.id)):
        managers = f"{possessive(owner.party.name)} SERs and managers" if owner else "SERs and managers"
        raise Refused(f"Action #{number} is <@{action.owner_user_id}>'s: only they and {managers} update it.")
    if me.role == "observer":
        raise Refused("Observers read the plan but do not update it.")
    if action.status != OPEN:
        raise Refused(f"Action #{number} is already {action.status.replace('_', ' ')}.")
    return me, action


def complete_action(db: Session, *, actor: Actor, number: int, now: datetime) -> Action:
    """Mark an action done: its owner, or an editor of the owner's party (the owner is told). Someone of the
    other party asks instead (`done_asked_by`; the action stays open): the owner's party confirms."""
    me = access.member(db, actor, lock=True)
    action = items.find(db, Action, me.relationship.id or 0, number, label="action")
    owner = access.find_member(db, me.relationship, action.owner_user_id)
    if owner is not None and owner.party.id != me.party.id and me.role != "observer":
        return _ask_done(db, me, action, owner, now=now)
    me, action = _own_or_edit(db, actor, number)
    action.status, action.closed_on = DONE, local_today(me.relationship, now)
    db.add(action)
    change = audit.record(db, me.relationship, by=me, user_id=actor.user_id, entity="action", entity_id=number,
                          verb="done", before={"status": OPEN}, after={"status": DONE}, now=now)
    told = {"number": number, "description": action.description, "by": actor.user_id,
            "channel": me.relationship.channel_id, "relationship": me.relationship.name}
    if action.owner_user_id != actor.user_id:
        chasing.tell(db, me.relationship, users=[action.owner_user_id], view="action_done_by_other", data=told,
                     key=f"rel:{me.relationship.id}:action:{number}:done:v{change.version}", now=now)
    if action.done_asked_by and action.done_asked_by != actor.user_id:
        chasing.tell(db, me.relationship, users=[action.done_asked_by], view="action_done_confirmed", data=told,
                     key=f"rel:{me.relationship.id}:action:{number}:confirmed:v{change.version}", now=now)
    return action


def _ask_done(db: Session, me: access.Member, action: Action, owner: access.Member, *, now: datetime) -> Action:
    """Someone of the other party says an action is done: recorded, and its owner (or, when they have left,
    their party's SERs and managers) asked to confirm."""
    if action.status != OPEN:
        raise Refused(f"Action #{action.number} is already {action.status.replace('_', ' ')}.")
    if action.done_asked_by is not None:
        raise Refused(f"<@{action.done_asked_by}> has asked already: {owner.party.name} will confirm it.")
    action.done_asked_by = me.person.user_id
    db.add(action)
    change = audit.record(db, me.relationship, by=me, user_id=me.person.user_id, entity="action",
                          entity_id=action.number, verb="done_asked", before={"done_asked_by": None},
                          after={"done_asked_by": me.person.user_id}, now=now)
    asked = [owner.person.user_id] if owner.person.left_at is None else [
        person.user_id for person in db.exec(select(Person).where(
            Person.relationship_id == me.relationship.id, Person.party_id == owner.party.id, access.present()))
        if person.role in access.EDITORS]
    chasing.tell(db, me.relationship, users=asked, view="action_done_asked", now=now,
                 key=f"rel:{me.relationship.id}:action:{action.number}:asked:v{change.version}",
                 data={"number": action.number, "description": action.description, "by": me.person.user_id,
                       "party": me.party.name, "channel": me.relationship.channel_id,
                       "relationship": me.relationship.name})
    return action


def snooze_action(db: Session, *, actor: Actor, number: int, now: datetime) -> date:
    """No nudge about action `number` for the next SNOOZE working days of its owner; the day nudges resume."""
    me, action = _own_or_edit(db, actor, number)
    places = [place for place in chasing.memberships(db, action.owner_user_id)
              if place.relationship.id == me.relationship.id]
    calendar = places[0].hours if places else chasing.person_hours(me.person, me.party)
    today = now.astimezone(calendar.tz).date()
    action.snoozed_until = chasing.add_working_days(calendar, today, chasing.SNOOZE + 1)
    db.add(action)
    chasing.schedule(db, user=action.owner_user_id, now=now)
    return action.snoozed_until


def cannot_complete_action(db: Session, *, actor: Actor, number: int, reason: str, now: datetime) -> Action:
    """Record that an action cannot be completed, and tell the partner's managers in the channel."""
    reason = text(reason, field="reason", label="The reason", limit=limits.DETAIL)
    me, action = _own_or_edit(db, actor, number)
    action.status, action.reason, action.closed_on = CANNOT, reason, local_today(me.relationship, now)
    db.add(action)
    change = audit.record(db, me.relationship, by=me, user_id=actor.user_id, entity="action", entity_id=number,
                          verb="cannot_complete", before={"status": OPEN},
                          after={"status": CANNOT, "reason": reason}, now=now)
    partner_managers = [
        person.user_id for person in db.exec(
            select(Person).where(Person.relationship_id == me.relationship.id, Person.party_id != me.party.id,
                                 access.present())
        ) if person.role in access.EDITORS
    ]
    quiet.addressed_post(
        db, relationship_id=me.relationship.id or 0, key=f"rel:{me.relationship.id}:change:{change.version}",
        channel=me.relationship.channel_id, view="action_cannot_complete", now=now, users=sorted(partner_managers),
        mention_field="notify", about=f"action #{number} ({action.description[:80]}) cannot be completed: see above.",
        data={"number": number, "description": action.description, "reason": reason, "by": actor.user_id,
              "party": me.party.name, "owner": action.owner_user_id})
    return action
