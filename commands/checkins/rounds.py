"""The life of a round as due work: open (and prompt each participant in their own timezone),
remind those who have not answered, close (and post the summary)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from commands import outgoing, quiet, work
from commands.calendar import DAY_SECONDS, JointCalendar, next_occurrence, parse_cadence, zone
from commands.checkins import comments, round_post
from commands.rmp import calendars
from storage.checkins import ASKED, AWAY, CLOSED, OPEN, Answer, Prompt, Round
from storage.models import WorkItem
from storage.rmp import Party, Person, Relationship

OPEN_KIND, PROMPT_KIND, REMIND_KIND, CLOSE_KIND = "checkin.open", "checkin.prompt", "checkin.remind", "checkin.close"
EARLIEST_OFFSET = timedelta(hours=14)  # UTC+14 is the first place a calendar day begins
MAX_REMINDERS = 1  # each person gets at most two messages a round: the prompt and one reminder


def _open_key(relationship_id: int, period: date) -> str:
    return f"{OPEN_KIND}:{relationship_id}:{period.isoformat()}"


def schedule_next_round(db: Session, relationship: Relationship, *, after: datetime, now: datetime) -> date:
    """Queue the opening of the relationship's next round after `after`; returns its date."""
    tz = zone(relationship.timezone)
    moment = next_occurrence(parse_cadence(relationship.checkin_cadence, field="checkin_cadence"), after, tz,
                             calendars.joint(db, relationship))
    period = moment.astimezone(tz).date()
    due = datetime.combine(period, time(0, 0), ZoneInfo("UTC")) - EARLIEST_OFFSET
    work.schedule(db, kind=OPEN_KIND, key=_open_key(relationship.id or 0, period), due_at=due, now=now,
                  payload={"relationship_id": relationship.id, "period": period.isoformat()})
    return period


def reschedule(db: Session, relationship: Relationship, *, now: datetime) -> date:
    """After the cadence changed: cancel the queued opening and queue the new one."""
    work.cancel_pending(db, kind=OPEN_KIND, key_prefix=f"{OPEN_KIND}:{relationship.id}:")
    return schedule_next_round(db, relationship, after=now, now=now)


def participants(db: Session, relationship: Relationship) -> list[tuple[Person, Party]]:
    """Everyone who answers check-ins: all people but observers and those who left (or were removed or
    deactivated)."""
    rows = db.exec(select(Person, Party).where(Person.relationship_id == relationship.id,
                                               Person.party_id == Party.id, Person.role != "observer",
                                               col(Person.left_at).is_(None))
                   .order_by(col(Person.user_id)))
    return list(rows.all())


def open_round(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: open the round of `period`, prompt everyone at the cadence's time in their own zone."""
    relationship = db.get(Relationship, item.payload["relationship_id"])
    if relationship is None:
        return
    period = date.fromisoformat(item.payload["period"])
    if db.exec(select(Round).where(Round.relationship_id == relationship.id, Round.period == period)).first():
        return
    tz = zone(relationship.timezone)
    cadence = parse_cadence(relationship.checkin_cadence, field="checkin_cadence")
    opens_at = datetime.combine(period, cadence.at, tz)
    calendar = calendars.joint(db, relationship)
    # everyone is prompted at the cadence's time in their own zone, inside their working hours
    people = participants(db, relationship)
    hours = {person.user_id: calendars.person_hours(person, party) for person, party in people}
    zones = {person.user_id: person.tz or party.timezone for person, party in people}
    due = {user: quiet.next_allowed(hours, [user], datetime.combine(period, cadence.at, ZoneInfo(zones[user])))
           for user in hours}
    # the window counts joint working days from the last prompt, and closes inside shared working hours
    closes_at = calendar.due_after(max(due.values(), default=opens_at), relationship.checkin_window_days * DAY_SECONDS)
    number = int(db.exec(select(func.max(Round.number)).where(Round.relationship_id == relationship.id)).one()
                 or 0) + 1
    round_ = Round(relationship_id=relationship.id or 0, number=number, period=period, opens_at=opens_at,
                   closes_at=closes_at, statements=list(relationship.checkin_statements),
                   scale=relationship.checkin_scale, min_respondents=relationship.checkin_min_respondents,
                   gap_threshold=relationship.gap_threshold)
    db.add(round_)
    db.flush()
    # one prompt item per moment: everyone whose local time reaches the cadence's time together is prompted
    # by one transaction (a tick then queues a round's prompts at once rather than one item per person)
    away = {person.user_id for person, _ in people if person.away_until is not None and person.away_until >= period}
    for person, party in people:
        db.add(Prompt(round_id=round_.id or 0, user_id=person.user_id, party_slot=party.slot,
                      due_at=due[person.user_id], tz=zones[person.user_id],
                      status=AWAY if person.user_id in away else ASKED))
    db.flush()
    due = {user: at for user, at in due.items() if user not in away}
    round_post.show_open(db, round_, now=now, not_before=min(due.values(), default=opens_at))
    for at, users in _together(due).items():
        work.schedule(db, kind=PROMPT_KIND, key=f"{PROMPT_KIND}:{round_.id}:{at.isoformat()}", due_at=at, now=now,
                      payload={"round_id": round_.id, "user_ids": users})
    reminders_count = min(relationship.checkin_reminders, MAX_REMINDERS)
    for index in range(1, reminders_count + 1):
        # on a later joint working day of the window, at the cadence's time in each person's zone
        day = _working_day_after(calendar, period, max(1, round(relationship.checkin_window_days * index /
                                                                 (reminders_count + 1))))
        reminders = {user: quiet.next_allowed(hours, [user], datetime.combine(day, cadence.at, ZoneInfo(zones[user])))
                     for user in due}
        for at, users in _together({u: t for u, t in reminders.items() if t < closes_at}).items():
            work.schedule(db, kind=REMIND_KIND, key=f"{REMIND_KIND}:{round_.id}:{index}:{at.isoformat()}", now=now,
                          due_at=at, payload={"round_id": round_.id, "index": index, "user_ids": users})
    work.schedule(db, kind=CLOSE_KIND, key=f"{CLOSE_KIND}:{round_.id}", due_at=closes_at, now=now,
                  payload={"round_id": round_.id})
    schedule_next_round(db, relationship, after=opens_at, now=now)


def _together(due: dict[str, datetime]) -> dict[datetime, list[str]]:
    """People by the moment they are due, earliest first."""
    groups: dict[datetime, list[str]] = {}
    for user, at in sorted(due.items(), key=lambda pair: (pair[1], pair[0])):
        groups.setdefault(at.astimezone(UTC), []).append(user)
    return groups


def _working_day_after(calendar: JointCalendar, day: date, count: int) -> date:
    """The `count`-th joint working day after `day`."""
    for _ in range(count):
        day = calendar.first_working_day_from(day + timedelta(days=1))
    return day


def _prompt_data(round_: Round, relationship: Relationship, user_id: str, zones: dict[str, str], *,
                 reminder: bool) -> dict[str, object]:
    return {"round_id": round_.id, "number": round_.number, "channel": relationship.channel_id,
            "relationship": relationship.name, "closes_at": round_.closes_at.isoformat(),
            "timezone": zones.get(user_id, relationship.timezone), "user": user_id, "reminder": reminder}


def _zones(db: Session, round_: Round) -> dict[str, str]:
    """Each prompted person's timezone, to tell them times in: their own as Slack gives it now (it may have
    become known after the round opened), else the one their prompt was timed in."""
    zones = dict(db.exec(select(Prompt.user_id, Prompt.tz).where(Prompt.round_id == round_.id)).all())
    known = db.exec(select(Person.user_id, Person.tz).where(Person.relationship_id == round_.relationship_id,
                                                            col(Person.user_id).in_(list(zones)),
                                                            col(Person.tz).is_not(None)))
    return {**zones, **{user: tz for user, tz in known if tz and user in zones}}


def _asked(db: Session, round_: Round, users: list[str]) -> dict[str, Prompt]:
    """The prompts of `users` still waiting for an answer (not answered, skipped or away)."""
    answered = select(Answer.user_id).where(Answer.round_id == round_.id)
    return {p.user_id: p for p in db.exec(select(Prompt).where(
        Prompt.round_id == round_.id, col(Prompt.user_id).in_(users), Prompt.status == ASKED,
        col(Prompt.user_id).not_in(answered)))}


def send_prompt(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: the prompt DM (with its buttons) to each participant due at this moment (`user_ids`; one
    `user_id` in items queued by earlier versions), unless they answered, skipped or are away. Someone
    Accord cannot DM gets it as a message only they see in the shared channel."""
    round_ = db.get(Round, item.payload["round_id"])
    if round_ is None or round_.status != OPEN:
        return
    users = item.payload.get("user_ids") or [item.payload["user_id"]]
    waiting = _asked(db, round_, users)
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    zones = _zones(db, round_)
    quiet.direct_messages(db, relationship.id or 0, [
        outgoing.DirectMessage(key=comments.prompt_key(round_.id or 0, user_id), user=user_id,
                             fallback_channel=relationship.channel_id, view="checkin_prompt",
                             data=_prompt_data(round_, relationship, user_id, zones, reminder=False))
        for user_id in users if user_id in waiting], now=now)


def send_reminders(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: remind the participants due at this moment (`user_ids`; all who were prompted, in items
    queued by earlier versions) who have not answered, skipped, or had their one reminder; nobody else.
    An item of one person's own ("Remind me tomorrow") is that reminder."""
    round_ = db.get(Round, item.payload["round_id"])
    if round_ is None or round_.status != OPEN:
        return
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    prompted = set(db.exec(select(Prompt.user_id).where(Prompt.round_id == round_.id, Prompt.due_at <= now)))
    users = item.payload.get("user_ids") or sorted(prompted)
    own = bool(item.payload.get("own"))
    waiting = {user: p for user, p in _asked(db, round_, users).items()
               if user in prompted and (own or not p.reminded)}
    for prompt in waiting.values():
        prompt.reminded = True
        db.add(prompt)
    zones = _zones(db, round_)
    quiet.direct_messages(db, relationship.id or 0, [
        outgoing.DirectMessage(key=f"checkin:{round_.id}:{user}:remind:{item.payload['index']}",
                             user=user, fallback_channel=relationship.channel_id, view="checkin_prompt",
                             data=_prompt_data(round_, relationship, user, zones, reminder=True))
        for user in users if user in waiting], now=now)


def close_round(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: close the round, decide what it publishes, turn its message into the summary, show the
    comments to whom they are for, evaluate the exit triggers."""
    from commands.checkins import disclosure, summary, triggers
    from commands.privacy import retention

    round_ = db.get(Round, item.payload["round_id"])
    if round_ is None or round_.status == CLOSED:
        return
    round_.status = CLOSED
    db.add(round_)
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    disclosure.publish(db, round_, [party.slot for party in calendars.parties_of(db, relationship.id)])
    result = summary.summarise(db, round_)
    shared = comments.at_close(db, round_, now=now)
    round_post.show_closed(db, round_, result, now=now, shared_comments=shared)
    triggers.evaluate_after_round(db, relationship, result, now=now)
    retention.schedule_next(db, relationship.id or 0, now=now)  # answers past the retention period go daily
