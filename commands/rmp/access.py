"""Who may do what in a relationship, decided from the acting person's own party and role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from commands.actor import Actor, is_enterprise
from commands.errors import InputError, Refused
from storage.engine import READ_ONLY
from storage.rmp import CONNECT, Party, Person, Relationship

EDITORS = ("ser", "manager")
ACTORS = ("ser", "manager", "member")
SETUP_HINT = "This channel has no Accord relationship yet. Run `/accord setup` here to create one."
# what Join says to the people it does not take (commands.rmp.people); told up front, instead of "click Join"
ADDED_BY_MANAGERS = ("In this relationship a manager adds people to a party: "
                     "ask one to run `/accord party add @you <party>`.")
THIRD_ORGANISATION = "This relationship is between two other organisations; yours is not one of its parties."


def present() -> ColumnElement[bool]:
    """The condition on Person of someone still in the relationship (not left, removed or deactivated)."""
    return col(Person.left_at).is_(None)


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
    return list(db.exec(select(Party).where(Party.relationship_id == relationship.id).order_by(col(Party.slot))))


def find_member(db: Session, relationship: Relationship, user_id: str) -> Member | None:
    """The person `user_id` in this relationship, or None; someone who left is found too (their history keeps
    their party: check `person.left_at`)."""
    found = db.exec(  # one query: every request of a member asks it
        select(Person, Party).join(Party, col(Party.id) == Person.party_id)
        .where(Person.relationship_id == relationship.id, Person.user_id == user_id)
    ).first()
    if found is None:
        return None
    person, party = found
    return Member(relationship, person, party)


def member(db: Session, actor: Actor, *, lock: bool = False) -> Member:
    """The actor as a member of their channel's relationship; Refused when they are not in it.

    In a Slack Connect relationship a person whose organisation no longer matches their party
    (the payload's own team id) is refused too. On Enterprise Grid a payload may name only the person's
    workspace, one their party has not seen yet: a person of a Grid party is then taken at their word unless
    the workspace is the other party's (a Slack user is of one organisation).
    """
    return member_of(db, relationship_in(db, actor.channel_id, lock=lock), actor)


def member_of(db: Session, relationship: Relationship, actor: Actor) -> Member:
    """`member` in a relationship already read."""
    found = find_member(db, relationship, actor.user_id)
    if found is None:
        raise Refused(join_refusal(db, relationship, actor) or (
            f"You are not in the *{relationship.name}* relationship yet. "
            "Click *Join* on Accord's setup message, or mention `@accord join` in the channel."
        ))
    if found.person.left_at is not None:
        raise Refused(join_refusal(db, relationship, actor, party=found.party) or (
            f"You are no longer in the *{relationship.name}* relationship. "
            "To come back, click *Join* on Accord's setup message or mention `@accord join`."))
    if relationship.mode == CONNECT and actor.organisation_ids and organisation_ids(found.party):
        if belongs(found.party, actor):
            if not db.connection().get_execution_options().get(READ_ONLY, False):
                learn(db, found.party, actor)  # a read-only look keeps what it saw for the next change
        elif not _unseen_grid_workspace(db, relationship, found.party, actor):
            raise Refused("Your Slack organisation does not match your party in this relationship.")
    return found


def join_refusal(db: Session, relationship: Relationship, actor: Actor, *, party: Party | None = None) -> str | None:
    """What Join would refuse the actor (not in the relationship, or gone from `party`) with; None when it would
    take them. Said instead of "click Join" to people Join does not take, so nothing offered is then refused."""
    if relationship.mode != CONNECT:
        return ADDED_BY_MANAGERS
    if party is not None:  # someone who left comes back to their own party, if of its organisation
        mismatch = organisation_ids(party) and not belongs(party, actor)
        return "Your Slack organisation does not match your party in this relationship." if mismatch else None
    both = parties(db, relationship)
    if any(belongs(one, actor) for one in both):
        return None
    unbound = [one for one in both if not organisation_ids(one)]
    return THIRD_ORGANISATION if not actor.organisation_ids or not unbound else None


@dataclass(frozen=True)
class Standing:
    """What the actor may do in their channel, for what Accord offers them (help, buttons): their role (None when
    not in the relationship), whether the channel has a relationship, whether Join would take them, and whether
    the relationship is Slack Connect (people join as their organisation) or one workspace's."""

    role: str | None
    relationship: bool
    can_join: bool = False
    connect: bool = True


def standing(db: Session, actor: Actor) -> Standing:
    """The actor's standing in their channel's relationship (read-only: nothing is learnt or locked)."""
    relationship = db.exec(select(Relationship).where(Relationship.channel_id == (actor.channel_id or ""))).first()
    if relationship is None:
        return Standing(role=None, relationship=False)
    connect = relationship.mode == CONNECT
    try:
        return Standing(role=member_of(db, relationship, actor).role, relationship=True, connect=connect)
    except Refused:
        found = find_member(db, relationship, actor.user_id)
        gone = found.party if found is not None and found.person.left_at is not None else None
        can_join = (found is None or gone is not None) and join_refusal(db, relationship, actor, party=gone) is None
        return Standing(role=None, relationship=True, can_join=can_join, connect=connect)


def _unseen_grid_workspace(db: Session, relationship: Relationship, party: Party, actor: Actor) -> bool:
    """Whether the actor gives only a workspace (no org) that no party has seen, their party being a Grid org's."""
    if party.enterprise_id is None or actor.enterprise_id or is_enterprise(actor.team_id):
        return False
    return not any(actor.team_id in organisation_ids(other) for other in parties(db, relationship))


def organisation_ids(party: Party) -> frozenset[str]:
    """Every id naming a party's organisation: its workspaces and its Enterprise Grid org (empty: unbound)."""
    return frozenset(i for i in (party.team_id, party.enterprise_id, *(party.team_ids or [])) if i)


def belongs(party: Party, actor: Actor) -> bool:
    """Whether the actor is of the party's organisation: their org (E…) is the party's, or their workspace is
    one of its workspaces (an org given as `user_team` counts as the org)."""
    return bool(organisation_ids(party) & actor.organisation_ids)


def learn(db: Session, party: Party, actor: Actor) -> None:
    """Let a party know the actor's organisation, once the actor is of it (or binds it): their Grid org when it
    has none, and their workspace among its workspaces (the first one as its `team_id`)."""
    enterprise = actor.enterprise_id or (actor.team_id if is_enterprise(actor.team_id) else None)
    team = actor.team_id if actor.team_id and not is_enterprise(actor.team_id) else None
    teams = list(party.team_ids or [])
    changed = False
    if enterprise and party.enterprise_id is None:
        party.enterprise_id, changed = enterprise, True
    if team and (party.team_id is None or party.team_id == party.enterprise_id):  # an org bound before 0009
        party.team_id, changed = team, True
    for known in (party.team_id, team):
        if known and not is_enterprise(known) and known not in teams:
            teams.append(known)
    if teams != list(party.team_ids or []):
        party.team_ids, changed = teams, True
    if changed:
        db.add(party)


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
    if found is None or found.person.left_at is not None:
        raise InputError(f"<@{user_id}> is not in this relationship.", field=field)
    return found
