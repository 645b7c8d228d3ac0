"""People and roles: joining, parties by organisation or by hand, and who holds which role."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from commands import outgoing
from commands.actor import Actor
from commands.calendar import zone
from commands.errors import InputError, Refused
from commands.rmp import access, audit, leaving
from commands.rmp.fields import choice, user_id
from commands.wording import possessive
from storage import limits
from storage.rmp import CONNECT, ROLES, Party, Person
from storage.utc import utcnow

log = logging.getLogger(__name__)

ROLE_NAMES = {"ser": "SER", "manager": "Manager", "member": "Member", "observer": "Observer"}
_IN_A_SENTENCE = {"ser": "an SER", "manager": "a manager", "member": "a member", "observer": "an observer"}


def slack_name(actor: Actor) -> str | None:
    """The name the actor's payload gave (users.info replaces it with their display name later), if any."""
    return actor.name[:limits.PERSON_NAME] if actor.name else None


def role_phrase(role: str) -> str:
    """A role as it reads inside a sentence: "an SER", "a manager"."""
    return _IN_A_SENTENCE.get(role, role)


@dataclass(frozen=True)
class Joined:
    """A person's place after joining."""

    party: str
    role: str
    already: bool


@dataclass(frozen=True)
class PeopleList:
    """Both parties' people by role."""

    relationship: str
    parties: list[tuple[str, dict[str, list[str]]]]


def join(db: Session, *, actor: Actor, now: datetime) -> Joined:
    """Join the channel's Slack Connect relationship as a member of one's own organisation's party.

    The first person of a party becomes its manager; a third organisation is refused.
    """
    relationship = access.relationship_in(db, actor.channel_id, lock=True)
    existing = access.find_member(db, relationship, actor.user_id)
    if existing is not None and existing.person.left_at is not None:
        return _rejoin(db, existing, actor, now)
    if existing is not None:
        if relationship.mode == CONNECT and access.belongs(existing.party, actor):
            access.learn(db, existing.party, actor)
        return Joined(existing.party.name, existing.role, already=True)
    if relationship.mode != CONNECT:
        raise Refused("In this relationship a manager adds people to a party: "
                      "ask one to run `/accord party add @you <party>`.")
    party = _party_of(db, access.parties(db, relationship), actor)
    first = db.exec(select(Person).where(Person.party_id == party.id, access.present())).first() is None
    person = Person(relationship_id=relationship.id or 0, party_id=party.id or 0, user_id=actor.user_id,
                    role="manager" if first else "member", name=slack_name(actor))
    db.add(person)
    db.flush()
    audit.record(db, relationship, by=access.Member(relationship, person, party), user_id=actor.user_id,
                 entity="person", entity_id=None, verb="join", before=None,
                 after={"user_id": actor.user_id, "party": party.name, "role": person.role}, now=now)
    look_up_timezone(db, relationship_id=relationship.id or 0, user_id=actor.user_id, now=now)
    return Joined(party.name, person.role, already=False)


def _rejoin(db: Session, gone: access.Member, actor: Actor, now: datetime) -> Joined:
    """Someone who left (or was removed or deactivated) joins again: present once more, as a member (as its
    manager when their party has no SER or manager left); a person of another organisation is refused."""
    relationship = gone.relationship
    if relationship.mode != CONNECT:
        raise Refused("In this relationship a manager adds people to a party: "
                      "ask one to run `/accord party add @you <party>`.")
    if access.organisation_ids(gone.party) and not access.belongs(gone.party, actor):
        raise Refused("Your Slack organisation does not match your party in this relationship.")
    access.learn(db, gone.party, actor)
    role = "member" if _has_editor(db, gone.party.id or 0) else "manager"
    before = {"user_id": actor.user_id, "left": gone.person.left_how}
    leaving.come_back(db, gone.person)
    gone.person.role = role
    audit.record(db, relationship, by=gone, user_id=actor.user_id, entity="person", entity_id=None, verb="join",
                 before=before, after={"user_id": actor.user_id, "party": gone.party.name, "role": role}, now=now)
    look_up_timezone(db, relationship_id=relationship.id or 0, user_id=actor.user_id, now=now)
    return Joined(gone.party.name, role, already=False)


def _party_of(db: Session, parties: list[Party], actor: Actor) -> Party:
    """The party of the actor's organisation (which learns their workspace or Grid org), else the unbound one,
    now bound to it; a third organisation is refused.

    On Enterprise Grid an organisation is its org: its people are one party whether Slack names their workspace
    (T…) or the org (E…), and a second workspace of the same org joins the same party."""
    for party in parties:
        if access.belongs(party, actor):
            access.learn(db, party, actor)
            return party
    unbound = [party for party in parties if not access.organisation_ids(party)]
    if not actor.organisation_ids or not unbound:
        raise Refused("This relationship is between two other organisations; yours is not one of its parties.")
    party = unbound[0]
    access.learn(db, party, actor)
    return party


def set_role(db: Session, *, actor: Actor, text_args: str, now: datetime) -> tuple[str, str]:
    """`/accord role @user <role>`: an SER or manager sets the role of a person of their own party."""
    by = access.editor(db, actor)
    parts = text_args.split()
    if len(parts) != 2:
        raise InputError("Usage: `/accord role @person ser|manager|member|observer`.")
    target_id = user_id(parts[0], field="user", label="The person")
    role = choice(parts[1], ROLES, field="role", label="The role")
    target = access.find_member(db, by.relationship, target_id)
    if target is None or target.person.left_at is not None:
        raise InputError(f"<@{target_id}> is not in this relationship yet: they can join from the setup "
                         "message or with `@accord join`.")
    if target.party.id != by.party.id:
        raise Refused(f"Roles in {target.party.name} are set by {possessive(target.party.name)} SERs and managers.")
    if target.person.user_id == actor.user_id and role not in access.EDITORS and not _other_editor(db, by):
        raise Refused(f"You are the last SER or manager of {by.party.name}: name another one first.")
    if target.role != role:
        audit.record(db, by.relationship, by=by, user_id=actor.user_id, entity="person", entity_id=None,
                     verb="role", before={"user_id": target_id, "role": target.role},
                     after={"user_id": target_id, "role": role}, now=now)
        target.person.role = role
        db.add(target.person)
    return target_id, role


def _has_editor(db: Session, party_id: int) -> bool:
    """Whether a party already has an SER or a manager (until then the other party may name its first)."""
    return any(p.role in access.EDITORS
               for p in db.exec(select(Person).where(Person.party_id == party_id, access.present())))


def _other_editor(db: Session, by: access.Member) -> bool:
    others = db.exec(select(Person).where(Person.party_id == by.party.id, Person.user_id != by.person.user_id,
                                          access.present()))
    return any(person.role in access.EDITORS for person in others)


def add_to_party(db: Session, *, actor: Actor, text_args: str, now: datetime) -> tuple[str, str, str]:
    """`/accord party add @user <party> [role]`: put a person in a party by hand (single workspace)."""
    by = access.editor(db, actor)
    if by.relationship.mode == CONNECT:
        raise Refused("In a Slack Connect relationship each person's party is their own organisation: "
                      "they join with the *Join* button or `@accord join`.")
    parts = text_args.split()
    if len(parts) < 3 or parts[0].lower() != "add":
        raise InputError("Usage: `/accord party add @person <party name> [role]`.")
    target_id = user_id(parts[1], field="user", label="The person")
    role = "member"
    if parts[-1].lower() in ROLES and len(parts) > 3:
        role, parts = parts[-1].lower(), parts[:-1]
    wanted = " ".join(parts[2:]).casefold()
    parties = access.parties(db, by.relationship)
    party = next((p for p in parties if p.name.casefold() == wanted), None)
    if party is None:
        raise InputError(f"No party is called `{wanted}`: use {' or '.join(p.name for p in parties)}.")
    existing = access.find_member(db, by.relationship, target_id)
    if party.id != by.party.id and _has_editor(db, party.id or 0):
        raise Refused(f"People of {party.name} are added by {possessive(party.name)} SERs and managers.")
    if existing is not None and existing.person.left_at is not None and existing.party.id != party.id:
        raise Refused(f"<@{target_id}> was in {existing.party.name}: only its SERs and managers add them again.")
    if existing is not None and existing.party.id != by.party.id:
        raise Refused(f"<@{target_id}> is in {existing.party.name}: only its SERs and managers change that.")
    if existing is not None and existing.person.user_id == actor.user_id and not _other_editor(db, by):
        raise Refused(f"You are the last SER or manager of {by.party.name}: name another one first.")
    before = {"user_id": target_id, "party": existing.party.name, "role": existing.role} if existing else None
    if existing is None:
        db.add(Person(relationship_id=by.relationship.id or 0, party_id=party.id or 0, user_id=target_id, role=role))
        look_up_timezone(db, relationship_id=by.relationship.id or 0, user_id=target_id, now=now)
    else:
        if existing.person.left_at is not None:
            before = {"user_id": target_id, "left": existing.person.left_how}
            leaving.come_back(db, existing.person)
        existing.person.party_id, existing.person.role = party.id or 0, role
        db.add(existing.person)
    audit.record(db, by.relationship, by=by, user_id=actor.user_id, entity="person", entity_id=None,
                 verb="party", before=before, after={"user_id": target_id, "party": party.name, "role": role},
                 now=now)
    return target_id, party.name, role


def look_up_timezone(db: Session, *, relationship_id: int, user_id: str, now: datetime) -> None:
    """Queue a users.info of a person entering a relationship; its answer comes back to `record_timezone`."""
    outgoing.lookup_user(db, key=f"users.info:{relationship_id}:{user_id}", user=user_id, now=now)


def record_user(db: Session, *, user_id: str, tz: str | None, name: str | None = None, deleted: bool = False,
                now: datetime | None = None) -> int:
    """Set the time zone and name Slack gives for `user_id` on each of their people; returns how many.

    A time zone of None (Slack gives none, as for many external users) means their party's; so does a
    zone this Python does not know, which is logged rather than stored. `deleted` (Slack deactivated them)
    makes them go from every relationship, left as "deactivated"."""
    if tz is not None:
        try:
            zone(tz)
        except InputError:
            log.warning("users.info gave %s the unknown time zone %r: using their party's", user_id, tz)
            tz = None
    people = db.exec(select(Person).where(Person.user_id == user_id)).all()
    for person in people:
        person.tz = tz
        if person.erased_at is None:  # an erased person keeps their pseudonym (commands/privacy/erasure.py)
            person.name = (name or "")[:limits.PERSON_NAME] or person.name
        db.add(person)
    if deleted:
        leaving.deactivated(db, user_id=user_id, now=now or utcnow())
    return len(people)


def list_people(db: Session, *, actor: Actor) -> PeopleList:
    """Both parties' people grouped by role (anyone in the relationship may look)."""
    me = access.member(db, actor)
    result: list[tuple[str, dict[str, list[str]]]] = []
    for party in access.parties(db, me.relationship):
        people = db.exec(select(Person).where(Person.party_id == party.id, access.present())
                         .order_by(Person.user_id))
        by_role: dict[str, list[str]] = {role: [] for role in ROLES}
        for person in people:
            by_role[person.role].append(person.user_id)
        result.append((party.name, by_role))
    return PeopleList(me.relationship.name, result)
