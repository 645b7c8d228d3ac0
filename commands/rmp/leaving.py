"""People who go: `/accord leave`, `/accord remove @person` by their party's SERs and managers, and someone
deactivated in Slack. They are no longer prompted or counted; the history keeps what they did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from commands import outgoing, quiet
from commands.actor import Actor
from commands.errors import InputError, Refused
from commands.rmp import access, audit
from commands.rmp.fields import user_id
from commands.wording import possessive
from storage.checkins import ASKED, AWAY, OPEN, SKIPPED, Answer, Prompt, Round
from storage.rmp import Action, Person, Relationship, Risk

LEFT, REMOVED, DEACTIVATED = "left", "removed", "deactivated"
GONE = "gone"  # the status of an open round's prompt whose person went before answering: neither asked nor counted
ROLE_TITLES = {"ser": "SER", "manager": "manager"}
RANK = {"observer": 0, "member": 1, "manager": 2, "ser": 3}
LEAVE_USAGE = "Usage: `/accord leave`, or `/accord leave @person` to name who takes over your role."
REMOVE_USAGE = "Usage: `/accord remove @person`, or `/accord remove @person @successor` for a party's last SER."


@dataclass(frozen=True)
class Gone:
    """Who went, from which party, who took over their role, and what they owned that needs a new owner."""

    user_id: str
    party: str
    how: str
    successor: str | None
    successor_role: str | None
    unowned: list[str]


@dataclass(frozen=True)
class Leaving:
    """What `/accord leave` would do, for the person to confirm: nothing has changed yet."""

    relationship: str
    party: str
    successor: str | None


def check_leave(db: Session, *, actor: Actor, text_args: str) -> Leaving:
    """`/accord leave [@successor]` checked without changing anything (the person confirms with a button)."""
    me, successor = _leaver(db, actor, text_args, lock=False)
    return Leaving(me.relationship.name, me.party.name, successor.person.user_id if successor else None)


def leave(db: Session, *, actor: Actor, text_args: str, now: datetime) -> Gone:
    """The actor leaves (`text_args`: as `/accord leave` takes them); a party's last SER (or last SER or manager)
    names who takes over their role, a current person of the same party."""
    me, successor = _leaver(db, actor, text_args, lock=True)
    return _go(db, me, how=LEFT, by=me, successor=successor, now=now)


def _leaver(db: Session, actor: Actor, text_args: str, *, lock: bool) -> tuple[access.Member, access.Member | None]:
    me = access.member(db, actor, lock=lock)
    parts = text_args.split()
    if len(parts) > 1:
        raise InputError(LEAVE_USAGE)
    return me, _successor(db, me, parts[0] if parts else None, leaver=me, usage="/accord leave @person")


def remove(db: Session, *, actor: Actor, text_args: str, now: datetime) -> Gone:
    """`/accord remove @person [@successor]`: an SER or manager removes a person of their own party."""
    by = access.member(db, actor, lock=True)
    parts = text_args.split()
    if not parts or len(parts) > 2:
        raise InputError(REMOVE_USAGE)
    target_id = user_id(parts[0], field="user", label="The person")
    target = access.find_member(db, by.relationship, target_id)
    if target is None or target.person.left_at is not None:
        raise InputError(f"<@{target_id}> is not in this relationship.")
    if target.party.id != by.party.id:
        raise Refused(f"People of {target.party.name} are removed by {possessive(target.party.name)} SERs and "
                      "managers.")
    if not by.can_edit and target_id != actor.user_id:
        raise Refused(f"Only {possessive(by.party.name)} SERs and managers remove its people; "
                      f"you are {access.article(by.role)} {by.role}.")
    successor = _successor(db, by, parts[1] if len(parts) > 1 else None, leaver=target,
                           usage=f"/accord remove <@{target_id}> @person")
    how = LEFT if target_id == actor.user_id else REMOVED
    return _go(db, target, how=how, by=by, successor=successor, now=now)


def deactivated(db: Session, *, user_id: str, now: datetime) -> int:
    """Slack says `user_id` is deactivated: they go from every relationship they are in; returns how many."""
    people = db.exec(select(Person).where(Person.user_id == user_id, access.present())).all()
    for person in people:
        relationship = db.get(Relationship, person.relationship_id)
        found = access.find_member(db, relationship, user_id) if relationship else None
        if found is not None:
            _go(db, found, how=DEACTIVATED, by=None, successor=None, now=now)
    return len(people)


def come_back(db: Session, person: Person) -> None:
    """Someone who went joins again: present once more, and asked in the open rounds they went from."""
    person.left_at, person.left_how, person.left_by = None, "", None
    db.add(person)
    open_rounds = select(Round.id).where(Round.relationship_id == person.relationship_id, Round.status == OPEN)
    for prompt in db.exec(select(Prompt).where(Prompt.user_id == person.user_id, Prompt.status == GONE,
                                               col(Prompt.round_id).in_(open_rounds))):
        prompt.status = ASKED
        db.add(prompt)


def _successor(db: Session, by: access.Member, mention: str | None, *, leaver: access.Member,
               usage: str) -> access.Member | None:
    """The person named to take over the leaver's role, who must be a current person of the same party; needed
    when the leaver is their party's last SER, or its last SER or manager."""
    role = leaver.role
    last = role in access.EDITORS and not _others(db, leaver, (role,) if role == "ser" else access.EDITORS)
    if mention is None:
        if last:
            raise Refused(f"<@{leaver.person.user_id}> is {possessive(leaver.party.name)} last {ROLE_TITLES[role]}: "
                          f"name another with `{usage}`, who becomes {ROLE_TITLES[role]}.")
        return None
    if role not in access.EDITORS:
        raise InputError(f"Only an SER or a manager names who takes over their role. {LEAVE_USAGE}")
    successor_id = user_id(mention, field="user", label="The successor")
    found = access.find_member(db, by.relationship, successor_id)
    if found is None or found.person.left_at is not None or found.party.id != leaver.party.id:
        raise InputError(f"<@{successor_id}> is not a current person of {leaver.party.name}: "
                         f"name one of {possessive(leaver.party.name)} people.")
    if found.person.user_id == leaver.person.user_id:
        raise InputError(f"Name someone else of {leaver.party.name} to take over.")
    return found


def _others(db: Session, leaver: access.Member, roles: tuple[str, ...]) -> bool:
    """Whether the leaver's party keeps someone present holding one of `roles`."""
    return db.exec(select(Person.id).where(Person.party_id == leaver.party.id, access.present(),
                                           Person.user_id != leaver.person.user_id,
                                           col(Person.role).in_(roles))).first() is not None


def _go(db: Session, gone: access.Member, *, how: str, by: access.Member | None, successor: access.Member | None,
        now: datetime) -> Gone:
    person, relationship = gone.person, gone.relationship
    successor_role = None
    if successor is not None and RANK[person.role] > RANK[successor.role]:
        successor_role = person.role
        audit.record(db, relationship, by=by, user_id=by.person.user_id if by else "accord", entity="person",
                     entity_id=None, verb="role", before={"user_id": successor.person.user_id, "role": successor.role},
                     after={"user_id": successor.person.user_id, "role": successor_role}, now=now)
        successor.person.role = successor_role
        db.add(successor.person)
    person.left_at, person.left_how = now, how
    person.left_by = by.person.user_id if by is not None and how == REMOVED else None
    db.add(person)
    change = audit.record(db, relationship, by=by, user_id=by.person.user_id if by else "accord",
                          entity="person", entity_id=None, verb=how,
                          before={"user_id": person.user_id, "role": person.role},
                          after={"user_id": person.user_id, "left": how}, now=now)
    _stop_prompting(db, person, now)
    items = unowned(db, relationship.id or 0, person.user_id)
    if items:
        _ask_for_owners(db, gone, items, by=by, version=change.version, now=now)
    return Gone(person.user_id, gone.party.name, how, successor.person.user_id if successor else None,
                successor_role, items)


def _ask_for_owners(db: Session, gone: access.Member, items: list[str], *, by: access.Member | None, version: int,
                    now: datetime) -> None:
    """Tell the party's SERs and managers (but whoever did it) what the person who went owned: it needs a new
    owner. A direct message each, within their working hours."""
    relationship = gone.relationship
    editors = db.exec(select(Person.user_id).where(Person.party_id == gone.party.id, access.present(),
                                                   col(Person.role).in_(access.EDITORS))).all()
    data = {"user": gone.person.user_id, "name": gone.person.name, "how": gone.person.left_how,
            "party": gone.party.name, "items": items, "relationship": relationship.name,
            "channel": relationship.channel_id}
    quiet.direct_messages(db, relationship.id or 0, [
        outgoing.DirectMessage(f"rel:{relationship.id}:gone:v{version}:{user}", user, relationship.channel_id,
                             "person_gone", data)
        for user in sorted(editors) if by is None or user != by.person.user_id], now=now)


def _stop_prompting(db: Session, person: Person, now: datetime) -> None:
    """Their prompts in open rounds they have not answered no longer ask or count; the round's counts follow."""
    from commands.checkins import round_post

    answered = select(Answer.user_id).where(Answer.round_id == Prompt.round_id)
    rounds: dict[int, Round] = {}
    for prompt, round_ in db.exec(select(Prompt, Round).where(
            Prompt.round_id == Round.id, Round.relationship_id == person.relationship_id, Round.status == OPEN,
            Prompt.user_id == person.user_id, col(Prompt.status).in_([ASKED, AWAY, SKIPPED]),
            col(Prompt.user_id).not_in(answered))):
        prompt.status = GONE
        db.add(prompt)
        rounds[round_.id or 0] = round_
    db.flush()
    for round_ in rounds.values():
        round_post.show_open(db, round_, now=now)


def unowned(db: Session, relationship_id: int, user_id: str) -> list[str]:
    """The open actions and risks of someone who went, which need a new owner: `action #3`, `risk #1`."""
    actions = db.exec(select(Action.number).where(Action.relationship_id == relationship_id,
                                                  Action.owner_user_id == user_id, Action.status == "open")
                      .order_by(col(Action.number))).all()
    risks = db.exec(select(Risk.number).where(Risk.relationship_id == relationship_id,
                                              Risk.owner_user_id == user_id, Risk.status != "closed")
                    .order_by(col(Risk.number))).all()
    return [f"action #{n}" for n in actions] + [f"risk #{n}" for n in risks]
