"""Who may do what in a relationship, decided from the acting person's own party and role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from commands.actor import Actor
from commands.errors import InputError, Refused
from storage.rmp import Party, Person, Relationship

EDITORS = ("ser", "manager")
ACTORS = ("ser", "manager", "member")
SETUP_HINT = "This channel has no Accord relationship yet. Run `/accord setup` here to create one."


@dataclass(frozen=True)
class Member:
    """The acting person inside a relationship: their row, their party and the relationship."""

    relationship: Relationship
    person: Person
    party: Party

    @property
    def role(self) -> str:
        """ser, manager, member or observer."""
        return self.person.role

    @property
    def can_edit(self) -> bool:
        """SERs and managers edit the plan."""
        return self.role in EDITORS


def relationship_in(db: Session, channel_id: str | None, *, lock: bool = False) -> Relationship:
    """The relationship of this channel; Refused with how to set one up when there is none."""
    query = select(Relationship).where(Relationship.channel_id == (channel_id or ""))
    found = db.exec(query.with_for_update() if lock else query).first()
    if found is None:
        raise Refused(SETUP_HINT)
    return found


def parties(db: Session, relationship: Relationship) -> list[Party]:
    """The two parties, slot 1 first."""
    return list(db.exec(select(Party).where(Party.relationship_id == relationship.id).order_by(Party.slot)))


def find_member(db: Session, relationship: Relationship, user_id: str) -> Member | None:
    """The person `user_id` in this relationship, or None."""
    person = db.exec(
        select(Person).where(Person.relationship_id == relationship.id, Person.user_id == user_id)
    ).first()
    if person is None:
        return None
    party = db.get(Party, person.party_id)
    assert party is not None
    return Member(relationship, person, party)


def member(db: Session, actor: Actor, *, lock: bool = False) -> Member:
    """The actor as a member of their channel's relationship; Refused when they are not in it.

    In a Slack Connect relationship a person whose organisation no longer matches their party
    (the payload's own team id) is refused too.
    """
    relationship = relationship_in(db, actor.channel_id, lock=lock)
    found = find_member(db, relationship, actor.user_id)
    if found is None:
        raise Refused(
            f"You are not in the *{relationship.name}* relationship yet. "
            "Click *Join* on Accord's setup message, or mention `@accord join` in the channel."
        )
    if relationship.mode == "connect" and found.party.team_id and actor.team_id and \
            found.party.team_id != actor.team_id:
        raise Refused("Your Slack organisation does not match your party in this relationship.")
    return found


def editor(db: Session, actor: Actor) -> Member:
    """The actor, who must be an SER or a manager of either party (locks the plan for the change)."""
    found = member(db, actor, lock=True)
    if not found.can_edit:
        raise Refused(f"Only SERs and managers edit the plan; you are {article(found.role)} {found.role}.")
    return found


def owner_slot(db: Session, relationship: Relationship, user_id: str) -> int | None:
    """The party slot of the person `user_id` (None when they are no longer in the relationship)."""
    found = find_member(db, relationship, user_id)
    return found.party.slot if found else None


def article(role: str) -> str:
    """`an` before a vowel sound."""
    return "an" if role[0] in "aeiou" or role == "ser" else "a"


def require_person(db: Session, relationship: Relationship, user_id: str, *, field: str) -> Member:
    """The person `user_id`, who must be in the relationship (InputError naming `field` if not)."""
    found = find_member(db, relationship, user_id)
    if found is None:
        raise InputError(f"<@{user_id}> is not in this relationship.", field=field)
    return found
