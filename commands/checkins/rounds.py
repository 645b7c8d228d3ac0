"""The life of a round as due work: open (and prompt each participant in their own timezone),
remind those who have not answered, close (and post the summary)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from commands import outbox, work
from commands.calendar import calendar_of, next_occurrence, parse_cadence, zone
from storage.checkins import CLOSED, OPEN, Answer, Prompt, Round
from storage.models import WorkItem
from storage.rmp import Party, Person, Relationship

OPEN_KIND, PROMPT_KIND, REMIND_KIND, CLOSE_KIND = "checkin.open", "checkin.prompt", "checkin.remind", "checkin.close"
EARLIEST_OFFSET = timedelta(hours=14)  # UTC+14 is the first place a calendar day begins


def _open_key(relationship_id: int, period: date) -> str:
    return f"{OPEN_KIND}:{relationship_id}:{period.isoformat()}"


def schedule_next_round(db: Session, relationship: Relationship, *, after: datetime, now: datetime) -> date:
    """Queue the opening of the relationship's next round after `after`; returns its date."""
    tz = zone(relationship.timezone)
    moment = next_occurrence(parse_cadence(relationship.checkin_cadence, field="checkin_cadence"), after, tz,
                             calendar_of(relationship.working_days, relationship.holidays))
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
    """Everyone who answers check-ins: all people but observers."""
    rows = db.exec(select(Person, Party).where(Person.relationship_id == relationship.id,
                                               Person.party_id == Party.id, Person.role != "observer")
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
    calendar = calendar_of(relationship.working_days, relationship.holidays)
    closes_at = calendar.add_working_days(opens_at, relationship.checkin_window_days, tz)
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
    due_together: dict[datetime, list[str]] = {}
    for person, party in participants(db, relationship):
        zone_name = person.tz or relationship.timezone
        due = datetime.combine(period, cadence.at, ZoneInfo(zone_name))
        db.add(Prompt(round_id=round_.id or 0, user_id=person.user_id, party_slot=party.slot, due_at=due,
                      tz=zone_name))
        due_together.setdefault(due.astimezone(UTC), []).append(person.user_id)
    for due, users in sorted(due_together.items()):
        work.schedule(db, kind=PROMPT_KIND, key=f"{PROMPT_KIND}:{round_.id}:{due.isoformat()}", due_at=due, now=now,
                      payload={"round_id": round_.id, "user_ids": users})
    window = closes_at - opens_at
    for index in range(1, relationship.checkin_reminders + 1):
        work.schedule(db, kind=REMIND_KIND, key=f"{REMIND_KIND}:{round_.id}:{index}", now=now,
                      due_at=opens_at + window * index / (relationship.checkin_reminders + 1),
                      payload={"round_id": round_.id, "index": index})
    work.schedule(db, kind=CLOSE_KIND, key=f"{CLOSE_KIND}:{round_.id}", due_at=closes_at, now=now,
                  payload={"round_id": round_.id})
    schedule_next_round(db, relationship, after=opens_at, now=now)


def _prompt_data(round_: Round, relationship: Relationship, user_id: str, *, reminder: bool) -> dict[str, object]:
    return {"round_id": round_.id, "number": round_.number, "channel": relationship.channel_id,
            "relationship": relationship.name, "closes_at": round_.closes_at.isoformat(),
            "timezone": relationship.timezone, "user": user_id, "reminder": reminder}


def send_prompt(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: the prompt DM (with its button) to each participant due at this moment (`user_ids`; one
    `user_id` in items queued by earlier versions), unless they answered already."""
    round_ = db.get(Round, item.payload["round_id"])
    if round_ is None or round_.status != OPEN:
        return
    users = item.payload.get("user_ids") or [item.payload["user_id"]]
    answered = set(db.exec(select(Answer.user_id).where(Answer.round_id == round_.id)))
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    outbox.direct_messages(db, [
        outbox.DirectMessage(key=f"checkin:{round_.id}:{user_id}:prompt", user=user_id,
                             fallback_channel=relationship.channel_id, view="checkin_prompt",
                             data=_prompt_data(round_, relationship, user_id, reminder=False))
        for user_id in users if user_id not in answered], now=now)


def send_reminders(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: remind the participants who were prompted and have not answered; nobody else."""
    round_ = db.get(Round, item.payload["round_id"])
    if round_ is None or round_.status != OPEN:
        return
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    answered = set(db.exec(select(Answer.user_id).where(Answer.round_id == round_.id)))
    prompts = db.exec(select(Prompt).where(Prompt.round_id == round_.id, Prompt.due_at <= now)
                      .order_by(col(Prompt.user_id)))
    outbox.direct_messages(db, [
        outbox.DirectMessage(key=f"checkin:{round_.id}:{prompt.user_id}:remind:{item.payload['index']}",
                             user=prompt.user_id, fallback_channel=relationship.channel_id, view="checkin_prompt",
                             data=_prompt_data(round_, relationship, prompt.user_id, reminder=True))
        for prompt in prompts if prompt.user_id not in answered], now=now)


def close_round(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: close the round, post its summary, evaluate the exit triggers."""
    from commands.checkins import summary, triggers

    round_ = db.get(Round, item.payload["round_id"])
    if round_ is None or round_.status == CLOSED:
        return
    round_.status = CLOSED
    db.add(round_)
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    result = summary.summarise(db, round_)
    outbox.post_message(db, key=f"checkin:{round_.id}:summary", channel=relationship.channel_id,
                        view="checkin_summary", data=summary.as_data(result), now=now)
    triggers.evaluate_after_round(db, relationship, result, now=now)
