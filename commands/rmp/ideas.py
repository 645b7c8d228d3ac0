"""The improvement and innovation log: ideas either party raises, with an owner, a status and each party's benefit.

One message in the channel per idea, updated in place as its status changes. Who does what (consent):
- anyone in the relationship but observers raises an idea; its owner is the raiser unless they name another;
- it is *agreed* by an SER or manager of the OTHER party (a party does not agree its own idea alone);
- once agreed it is *started* (in progress) and *done* by its owner or an SER or manager of either party;
- an SER or manager of either party *drops* it, with a reason, until it is done;
- each party states its own expected benefit (anyone of that party but observers), never the other's.
Every change is recorded in the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from commands import outgoing, quiet
from commands.actor import Actor
from commands.errors import InputError, Refused
from commands.rmp import access, audit, items
from storage import limits
from storage.partnership import Idea
from storage.rmp import Change, Party, Person, Relationship

STATUSES = ("proposed", "agreed", "in_progress", "done", "dropped")
STATUS_WORDS = {"proposed": "proposed", "agreed": "agreed", "in_progress": "in progress", "done": "done",
                "dropped": "dropped"}
LIMIT = limits.DESCRIPTION  # characters of an idea's title
BENEFIT_LIMIT = limits.DETAIL
REASON_LIMIT = limits.DETAIL
SHOWN = 30  # ideas listed by `/accord ideas`
EMPTY = "Say what the idea is, for example `/accord idea Share one delivery calendar`. Nothing was recorded."
ENTITY = "idea"


def root_key(relationship_id: int, number: int) -> str:
    """The outbox key of an idea's message: posted once, then updated in place."""
    return f"rel:{relationship_id}:idea:{number}"


@dataclass(frozen=True)
class Done:
    """What the actor did to idea `number` (for their private confirmation)."""

    number: int
    title: str
    status: str
    party: str  # the raiser's party


def _clean(value: str | None, *, limit: int, what: str, field: str, empty: str | None) -> str:
    clean = (value or "").replace("\x00", "").strip()  # PostgreSQL cannot store a NUL
    if not clean and empty is not None:
        raise InputError(empty, field=field)
    if len(clean) > limit:
        raise InputError(f"{what} holds at most {limit} characters (this has {len(clean)}): shorten it. "
                         "Nothing was changed.", field=field)
    return clean


def clean_title(value: str | None) -> str:
    """The idea's title, trimmed; InputError (field `title`) when empty or longer than LIMIT."""
    return _clean(value, limit=LIMIT, what="An idea", field="title", empty=EMPTY)


def _not_observer(me: access.Member) -> None:
    if me.role not in access.ACTORS:
        raise Refused("Observers follow the improvement log but do not change it: ask a member of your party.")


def check_can_raise(db: Session, *, actor: Actor) -> access.Member:
    """The actor, if they may raise an idea (anyone in the relationship but observers)."""
    me = access.member(db, actor)
    _not_observer(me)
    return me


def _owner(db: Session, me: access.Member, owner: str | None) -> str:
    """The owner named (a present member of either party who is not an observer), else the raiser."""
    if not owner or owner == me.person.user_id:
        return me.person.user_id
    found = access.find_member(db, me.relationship, owner)
    if found is None or found.person.left_at is not None or found.role not in access.ACTORS:
        raise InputError("The owner must be a member of either party (not an observer). Nothing was recorded.",
                         field="owner")
    return owner


def raise_idea(db: Session, *, actor: Actor, title: str, now: datetime, owner: str | None = None,
               benefit: str = "", source_ts: str | None = None) -> Done:
    """Record an idea of the actor's party (status proposed) and post it to the channel (via the outbox)."""
    clean = clean_title(title)  # bad input changes nothing, whoever asks
    our_benefit = _clean(benefit, limit=BENEFIT_LIMIT, what="A benefit", field="benefit", empty=None)
    me = access.member(db, actor, lock=True)
    _not_observer(me)
    rid = me.relationship.id or 0
    slot = me.party.slot
    idea = Idea(relationship_id=rid, number=items.next_number(db, Idea, rid), party_slot=slot,
                raised_by=actor.user_id, title=clean, owner_user_id=_owner(db, me, owner),
                benefit_1=our_benefit if slot == 1 else "", benefit_2=our_benefit if slot == 2 else "",
                source_ts=(source_ts or None) and source_ts[:limits.TS], created_at=now)
    db.add(idea)
    db.flush()
    after = {"title": clean, "party_slot": slot, "owner_user_id": idea.owner_user_id, "status": idea.status}
    if our_benefit:
        after[f"benefit_{slot}"] = our_benefit
    _changed(db, me, idea, verb="create", before=None, after=after, now=now)
    if idea.owner_user_id != actor.user_id:  # the post names the owner without a mention: they are told here
        _tell_owner(db, me.relationship, idea, now=now)
    return Done(idea.number, clean, idea.status, me.party.name)


def _tell_owner(db: Session, relationship: Relationship, idea: Idea, *, now: datetime) -> None:
    """Mention an idea's owner, named by its raiser, in the idea's thread once their working hours allow."""
    rid = relationship.id or 0
    owner = idea.owner_user_id
    for at in quiet.when_each(db, rid, [owner], now):
        outgoing.post_message(db, key=f"{root_key(rid, idea.number)}:owner", channel=relationship.channel_id,
                              thread_of=root_key(rid, idea.number), view="mention_later", now=now, not_before=at,
                              data={"users": [owner], "about": f"idea #{idea.number} is yours to take forward.",
                                    "quiet": quiet.spec(rid, [owner])})


def _find(db: Session, me: access.Member, number: int) -> Idea:
    found = db.exec(select(Idea).where(Idea.relationship_id == me.relationship.id, Idea.number == number)
                    .with_for_update()).first()
    if found is None:
        raise InputError(f"There is no idea #{number} in this relationship.", field="number")
    return found


def _acting(db: Session, actor: Actor, number: int) -> tuple[access.Member, Idea]:
    me = access.member(db, actor, lock=True)
    _not_observer(me)
    return me, _find(db, me, number)


def _party_name(db: Session, relationship: Relationship, slot: int) -> str:
    party = db.exec(select(Party).where(Party.relationship_id == relationship.id, Party.slot == slot)).first()
    return party.name if party is not None else f"party {slot}"


def _status_is(idea: Idea, allowed: tuple[str, ...], doing: str) -> None:
    if idea.status not in allowed:
        raise InputError(f"Idea #{idea.number} is {STATUS_WORDS.get(idea.status, idea.status)}: it cannot be "
                         f"{doing} now.", field="number")


def check_can_agree(db: Session, me: access.Member, idea: Idea) -> None:
    """Refused unless `me` is an SER or manager of the party that did not raise the idea."""
    if me.party.slot == idea.party_slot:
        other = next((p.name for p in access.parties(db, me.relationship) if p.slot != idea.party_slot),
                     "the other party")
        raise Refused(f"{me.party.name} raised idea #{idea.number}: an SER or manager of {other} agrees it "
                      "(a party does not agree its own idea alone).")
    if not me.can_edit:
        raise Refused(f"Only an SER or manager of {me.party.name} agrees idea #{idea.number} for your party.")


def agree(db: Session, *, actor: Actor, number: int, now: datetime) -> Done:
    """The other party agrees the idea: proposed -> agreed."""
    me, idea = _acting(db, actor, number)
    check_can_agree(db, me, idea)
    _status_is(idea, ("proposed",), "agreed")
    idea.status, idea.agreed_at = "agreed", now
    return _moved(db, me, idea, verb="agreed", was="proposed", now=now)


def _owner_or_editor(me: access.Member, idea: Idea, doing: str) -> None:
    if me.person.user_id != idea.owner_user_id and not me.can_edit:
        raise Refused(f"Only the owner of idea #{idea.number} (<@{idea.owner_user_id}>) or an SER or manager of "
                      f"either party {doing} it.")


def start(db: Session, *, actor: Actor, number: int, now: datetime) -> Done:
    """Work on the agreed idea starts: agreed -> in progress (its owner, or an SER or manager)."""
    me, idea = _acting(db, actor, number)
    _owner_or_editor(me, idea, "starts")
    _status_is(idea, ("agreed",), "started (it starts once agreed)" if idea.status == "proposed" else "started")
    was, idea.status = idea.status, "in_progress"
    return _moved(db, me, idea, verb="started", was=was, now=now)


def finish(db: Session, *, actor: Actor, number: int, now: datetime) -> Done:
    """The idea is delivered: agreed or in progress -> done (its owner, or an SER or manager)."""
    me, idea = _acting(db, actor, number)
    _owner_or_editor(me, idea, "marks done")
    _status_is(idea, ("agreed", "in_progress"),
               "marked done (it must be agreed first)" if idea.status == "proposed" else "marked done")
    was, idea.status, idea.done_at = idea.status, "done", now
    return _moved(db, me, idea, verb="delivered", was=was, now=now)


def check_can_drop(db: Session, *, actor: Actor, number: int) -> None:
    """Refused unless the actor is an SER or manager and the idea is not done or dropped (before the form opens)."""
    me = access.member(db, actor)
    _not_observer(me)
    idea = db.exec(select(Idea).where(Idea.relationship_id == me.relationship.id, Idea.number == number)).first()
    if idea is None:
        raise InputError(f"There is no idea #{number} in this relationship.", field="number")
    _may_drop(me, idea)


def _may_drop(me: access.Member, idea: Idea) -> None:
    if not me.can_edit:
        raise Refused(f"Only an SER or manager of either party drops idea #{idea.number}, with a reason.")
    _status_is(idea, ("proposed", "agreed", "in_progress"), "dropped")


def drop(db: Session, *, actor: Actor, number: int, reason: str, now: datetime) -> Done:
    """An SER or manager of either party drops the idea (not once done), saying why."""
    clean = _clean(reason, limit=REASON_LIMIT, what="A reason", field="reason",
                   empty=f"Say why idea #{number} is dropped. Nothing was changed.")
    me, idea = _acting(db, actor, number)
    _may_drop(me, idea)
    was, idea.status = idea.status, "dropped"
    return _moved(db, me, idea, verb="dropped", was=was, now=now, reason=clean)


def benefit_of(db: Session, *, actor: Actor, number: int) -> tuple[Idea, str, str]:
    """The idea, the actor's party name and its benefit as stated so far (to prefill the form); Refused for an
    observer, InputError when there is no such idea or it is dropped."""
    me = access.member(db, actor)
    _not_observer(me)
    idea = db.exec(select(Idea).where(Idea.relationship_id == me.relationship.id, Idea.number == number)).first()
    if idea is None:
        raise InputError(f"There is no idea #{number} in this relationship.", field="number")
    _status_is(idea, ("proposed", "agreed", "in_progress", "done"), "changed")
    return idea, me.party.name, idea.benefit_1 if me.party.slot == 1 else idea.benefit_2


def set_benefit(db: Session, *, actor: Actor, number: int, text: str, now: datetime) -> Done:
    """State the benefit the actor's own party expects from the idea (each party states only its own)."""
    clean = _clean(text, limit=BENEFIT_LIMIT, what="A benefit", field="benefit", empty=None)
    me, idea = _acting(db, actor, number)
    _status_is(idea, ("proposed", "agreed", "in_progress", "done"), "changed")
    key = f"benefit_{me.party.slot}"
    before = getattr(idea, key)
    if before == clean:
        return Done(idea.number, idea.title, idea.status, _party_name(db, me.relationship, idea.party_slot))
    setattr(idea, key, clean)
    db.add(idea)
    _changed(db, me, idea, verb="update", before={key: before}, after={key: clean}, now=now)
    return Done(idea.number, idea.title, idea.status, _party_name(db, me.relationship, idea.party_slot))


def _moved(db: Session, me: access.Member, idea: Idea, *, verb: str, was: str, now: datetime,
           reason: str = "") -> Done:
    db.add(idea)
    after: dict[str, Any] = {"status": idea.status}
    if reason:
        after["reason"] = reason
    _changed(db, me, idea, verb=verb, before={"status": was}, after=after, now=now, reason=reason)
    return Done(idea.number, idea.title, idea.status, _party_name(db, me.relationship, idea.party_slot))


def _changed(db: Session, me: access.Member, idea: Idea, *, verb: str, before: dict[str, Any] | None,
             after: dict[str, Any], now: datetime, reason: str = "") -> None:
    """Record the change in the history and post the idea's message, or update it in place."""
    relationship = me.relationship
    db.flush()
    audit.record(db, relationship, by=me, user_id=me.person.user_id, entity=ENTITY, entity_id=idea.number,
                 verb=verb, before=before, after=after, now=now)
    outgoing.post_or_update(db, root=root_key(relationship.id or 0, idea.number), version=str(relationship.version),
                            channel=relationship.channel_id, view="idea",
                            data=message_data(db, relationship, idea, reason=reason), now=now)


def _drop_reason(db: Session, idea: Idea) -> str:
    change = db.exec(select(Change).where(Change.relationship_id == idea.relationship_id, Change.entity == ENTITY,
                                          Change.entity_id == idea.number, Change.verb == "dropped")
                     .order_by(col(Change.version).desc())).first()
    return str((change.after or {}).get("reason", "")) if change is not None else ""


def message_data(db: Session, relationship: Relationship, idea: Idea, *, reason: str = "") -> dict[str, Any]:
    """What the idea's message shows: its title, whose it is, its status, owner and each party's benefit."""
    names = {p.slot: p.name for p in access.parties(db, relationship)}
    return {"number": idea.number, "title": idea.title, "party": names.get(idea.party_slot, "?"),
            "other": next((n for s, n in names.items() if s != idea.party_slot), "the other party"),
            "raised_by": idea.raised_by, "owner": idea.owner_user_id, "status": idea.status,
            "owner_name": db.exec(select(Person.name).where(Person.relationship_id == relationship.id,
                                                            Person.user_id == idea.owner_user_id)).first(),
            "benefits": [{"party": names.get(slot, "?"), "text": idea.benefit_1 if slot == 1 else idea.benefit_2}
                         for slot in sorted(names)],
            "reason": reason or (_drop_reason(db, idea) if idea.status == "dropped" else ""),
            "channel": relationship.channel_id}


def list_ideas(db: Session, *, actor: Actor) -> tuple[list[dict[str, Any]], int]:
    """Every idea of the actor's relationship (the latest SHOWN, by number) as its message shows it, and how
    many there are in all; anyone in the relationship reads the log."""
    me = access.member(db, actor)
    relationship = me.relationship
    rows = list(db.exec(select(Idea).where(Idea.relationship_id == relationship.id)
                        .order_by(col(Idea.number).desc()).limit(SHOWN)))
    total = len(rows) if len(rows) < SHOWN else len(list(db.exec(
        select(Idea.id).where(Idea.relationship_id == relationship.id))))
    return [message_data(db, relationship, idea) for idea in reversed(rows)], total


def review_figures(db: Session, relationship: Relationship, *, starts_at: datetime,
                   ends_at: datetime) -> dict[str, Any]:
    """The ideas of each party (by the party that raised them) raised, agreed and delivered in the period, and
    the ones delivered."""
    rid = relationship.id or 0
    parties = access.parties(db, relationship)
    rows = list(db.exec(select(Idea).where(Idea.relationship_id == rid).order_by(col(Idea.number))))

    def within(moment: datetime | None) -> bool:
        return moment is not None and starts_at <= moment < ends_at

    return {
        "parties": [{"slot": p.slot, "name": p.name,
                     "raised": sum(1 for i in rows if i.party_slot == p.slot and within(i.created_at)),
                     "agreed": sum(1 for i in rows if i.party_slot == p.slot and within(i.agreed_at)),
                     "delivered": sum(1 for i in rows if i.party_slot == p.slot and i.status == "done"
                                      and within(i.done_at))} for p in parties],
        "delivered": [{"number": i.number, "title": i.title,
                       "party": next((p.name for p in parties if p.slot == i.party_slot), "?")}
                      for i in rows if i.status == "done" and within(i.done_at)],
    }

