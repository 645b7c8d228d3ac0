"""Chasing: owners are told when an action or a risk is given to them, and nudged about open actions from the
morning of their due date, and about risks from their review date, every 2 working days until done.

A person gets at most one nudge a day, listing all their items across their relationships: one work item per
person and local day (`nudge:{user}:{day}`), due at the start of their working hours, which sends the day's
message (outbox key of the same name) and schedules the person's next one. Rows with due times only: it
survives restarts, and the replicas claim each item once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commands import outgoing, quiet, work
from commands.calendar import PartyCalendar
from commands.rmp.calendars import person_hours
from storage.models import CANCELLED, PENDING, WorkItem
from storage.rmp import Action, Party, Person, Relationship, Risk
from storage.utc import as_utc

KIND = "rmp.nudge"
EVERY = 2  # working days between two nudges about the same item
SNOOZE = 2  # working days a snooze keeps quiet
LISTED = 20  # items one nudge lists (two blocks each; Slack allows 50 a message)
OPEN, CLOSED_RISK = "open", "closed"


@dataclass(frozen=True)
class Membership:
    """A person still in a relationship, with their working hours there."""

    person: Person
    party: Party
    relationship: Relationship

    @property
    def hours(self) -> PartyCalendar:
        """Their party's working days and hours, in their own timezone."""
        return person_hours(self.person, self.party)


def memberships(db: Session, user: str) -> list[Membership]:
    """The relationships `user` is in (and has not left), oldest first: the first one's hours time their nudge."""
    rows = db.exec(select(Person, Party, Relationship).where(
        Person.user_id == user, col(Person.left_at).is_(None), col(Party.id) == Person.party_id,
        col(Relationship.id) == Person.relationship_id).order_by(col(Person.relationship_id)))
    return [Membership(person, party, relationship) for person, party, relationship in rows]


def add_working_days(calendar: PartyCalendar, day: date, count: int) -> date:
    """The `count`th working day after `day`."""
    for _ in range(count):
        day = calendar.first_working_day_from(day + timedelta(days=1))
    return day


def next_day(calendar: PartyCalendar, *, start: date, nudged_on: date | None, snoozed_until: date | None) -> date:
    """The day an item is next nudged about: its first working day from `start` (due or review date), then every
    EVERY working days after the last nudge, not before a snooze ends."""
    base = start if nudged_on is None or nudged_on < start else add_working_days(calendar, nudged_on, EVERY)
    if snoozed_until is not None and snoozed_until > base:
        base = snoozed_until
    return calendar.first_working_day_from(base)


def action_day(calendar: PartyCalendar, action: Action) -> date | None:
    """When the owner of an open action is next nudged about it (None: done or cannot complete)."""
    if action.status != OPEN:
        return None
    return next_day(calendar, start=action.due_on, nudged_on=action.nudged_on, snoozed_until=action.snoozed_until)


def risk_day(calendar: PartyCalendar, risk: Risk) -> date | None:
    """When a risk's owner is next reminded of its review (None: closed, or no review date)."""
    if risk.status == CLOSED_RISK or risk.review_on is None:
        return None
    return next_day(calendar, start=risk.review_on, nudged_on=risk.nudged_on, snoozed_until=None)


@dataclass
class Owned:
    """A person's open items in their relationships, each with the day it is next nudged about."""

    actions: list[tuple[Membership, Action, date]]
    risks: list[tuple[Membership, Risk, date]]

    def days(self) -> list[date]:
        return [day for _, _, day in self.actions] + [day for _, _, day in self.risks]


def owned(db: Session, user: str, places: list[Membership]) -> Owned:
    """What `user` owns in `places` that will be nudged about."""
    found = Owned([], [])
    for place in places:
        calendar, rid = place.hours, place.relationship.id
        for action in db.exec(select(Action).where(Action.relationship_id == rid, Action.owner_user_id == user,
                                                   Action.status == OPEN).order_by(col(Action.due_on))):
            if (day := action_day(calendar, action)) is not None:
                found.actions.append((place, action, day))
        for risk in db.exec(select(Risk).where(Risk.relationship_id == rid, Risk.owner_user_id == user,
                                               col(Risk.review_on).is_not(None), Risk.status != CLOSED_RISK)):
            if (day := risk_day(calendar, risk)) is not None:
                found.risks.append((place, risk, day))
    return found


def _key(user: str, day: date) -> str:
    return f"nudge:{user}:{day.isoformat()}"


def _nudged(db: Session, user: str, day: date) -> bool:
    """Whether the day's nudge has run already (its item is done, failed or running)."""
    status = db.exec(select(WorkItem.status).where(WorkItem.idempotency_key == _key(user, day))).first()
    return status is not None and status not in (PENDING, CANCELLED)


def schedule(db: Session, *, user: str, now: datetime) -> None:
    """Make sure `user`'s next nudge is due: on the first day one of their items is, at the start of their
    working hours that day (today's, when today's nudge has not run yet)."""
    places = memberships(db, user)
    if not places:
        return
    hours = places[0].hours
    days = owned(db, user, places).days()
    if not days:
        return
    today = as_utc(now).astimezone(hours.tz).date()
    day = hours.first_working_day_from(max(min(days), today))
    while _nudged(db, user, day):  # one nudge a day: what comes up after today's went out waits for the next
        day = add_working_days(hours, day, 1)
    start = datetime.combine(day, time(0), hours.tz)
    due = hours.next_working_moment(max(as_utc(now), as_utc(start)))
    try:
        with db.begin_nested():  # another transaction may schedule the same day at once: theirs stands
            work.schedule(db, kind=KIND, key=_key(user, day), due_at=due, payload={"user": user}, now=now)
    except IntegrityError:
        pass


def _working_days_between(calendar: PartyCalendar, start: date, end: date) -> int:
    """Working days after `start` up to `end` (how long an item is overdue)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
    return count


def send_nudge(db: Session, item: WorkItem, now: datetime) -> None:
    """Due-work handler: send the person the day's one nudge listing everything of theirs due (if anything is),
    then schedule their next."""
    user = str(item.payload["user"])
    places = memberships(db, user)
    if not places:  # they left every relationship: never nudged again
        return
    home, hours = places[0], places[0].hours
    at = hours.next_working_moment(as_utc(now))  # a tick that ran late (after hours): tomorrow's message
    day = at.astimezone(hours.tz).date()
    mine = owned(db, user, places)
    actions = [(place, action) for place, action, due in mine.actions if due <= day]
    risks = [(place, risk) for place, risk, due in mine.risks if due <= day]
    listed: list[dict[str, Any]] = []
    for place, action in actions:
        action.nudged_on = day
        db.add(action)
        listed.append({"kind": "action", "channel": place.relationship.channel_id,
                       "relationship": place.relationship.name, "number": action.number,
                       "description": action.description, "due_on": action.due_on.isoformat(),
                       "overdue": _working_days_between(place.hours, action.due_on, day),
                       "asked_by": action.done_asked_by})
    for place, risk in risks:
        risk.nudged_on = day
        db.add(risk)
        listed.append({"kind": "risk", "channel": place.relationship.channel_id,
                       "relationship": place.relationship.name, "number": risk.number,
                       "description": risk.description, "review_on": (risk.review_on or day).isoformat(),
                       "score": risk.likelihood * risk.impact})
    if listed:
        db.flush()
        quiet.direct_messages(db, home.relationship.id or 0, [outgoing.DirectMessage(
            _key(user, day), user, home.relationship.channel_id, "nudge",
            {"day": day.isoformat(), "items": listed[:LISTED], "more": max(0, len(listed) - LISTED),
             "several": len({entry["channel"] for entry in listed}) > 1})], now=now, at=at)
    schedule(db, user=user, now=at + timedelta(seconds=1) if listed else now)


def tell_assigned(db: Session, relationship: Relationship, *, entity: str, item: Action | Risk, by_user: str,
                  version: int, now: datetime) -> None:
    """Tell an item's new owner it is theirs (a DM, or a message only they see in the channel when Slack refuses
    the DM), within their working hours."""
    owner = item.owner_user_id
    if not any(place.relationship.id == relationship.id for place in memberships(db, owner)):
        return
    data: dict[str, Any] = {"entity": entity, "channel": relationship.channel_id, "relationship": relationship.name,
                            "number": item.number, "description": item.description, "by": by_user}
    if isinstance(item, Action):
        data["due_on"] = item.due_on.isoformat()
    elif item.review_on is not None:
        data["review_on"] = item.review_on.isoformat()
    quiet.direct_messages(db, relationship.id or 0, [outgoing.DirectMessage(
        f"rel:{relationship.id}:assigned:{entity}:{item.number}:v{version}", owner, relationship.channel_id,
        "nudge_assigned", data)], now=now)


def saved(db: Session, relationship: Relationship, *, entity: str, item: Any, owner_before: str | None,
          by_user: str, version: int, now: datetime) -> None:
    """After an action or a risk is created or changed: tell a new owner, and time their next nudge."""
    if entity not in ("action", "risk"):
        return
    still_open = item.status == OPEN if entity == "action" else item.status != CLOSED_RISK
    if still_open and item.owner_user_id != owner_before and item.owner_user_id != by_user:
        tell_assigned(db, relationship, entity=entity, item=item, by_user=by_user, version=version, now=now)
    schedule(db, user=item.owner_user_id, now=now)


def tell(db: Session, relationship: Relationship, *, users: list[str], key: str, view: str,
         data: dict[str, Any], now: datetime) -> None:
    """A direct message to each of `users` still in the relationship, within their working hours."""
    present = {user for user in users if any(place.relationship.id == relationship.id
                                             for place in memberships(db, user))}
    quiet.direct_messages(db, relationship.id or 0, [
        outgoing.DirectMessage(f"{key}:{user}", user, relationship.channel_id, view, data) for user in sorted(present)],
        now=now)
