"""What a participant may choose instead of answering now: skip this round, be reminded tomorrow, or be away.

Skipping and being away take a person out of the round's count of people asked (they do not count against
participation) and stop its reminder; "Remind me tomorrow" moves their one reminder to the next working
day at the round's time in their own zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from commands import quiet, work
from commands.actor import Actor
from commands.calendar import parse_cadence, zone
from commands.checkins import answers, round_post, rounds
from commands.errors import InputError, Refused
from commands.rmp import access, calendars
from commands.rmp.actions import local_today
from commands.rmp.fields import iso_date
from storage.checkins import ASKED, AWAY, OPEN, SKIPPED, Answer, Prompt, Round

LONGEST_AWAY = timedelta(days=366)


def _my_prompt(db: Session, actor: Actor, round_id: int | None, now: datetime) -> tuple[access.Member, Round, Prompt]:
    form = answers.answer_form(db, actor=actor, round_id=round_id, now=now)  # refuses closed rounds, observers
    me = access.member(db, actor, lock=True)
    prompt = db.exec(select(Prompt).where(Prompt.round_id == form.round.id, Prompt.user_id == actor.user_id)).first()
    if prompt is None:
        raise Refused(f"You joined after round {form.round.number} opened: it does not ask you.")
    if form.previous is not None:
        raise Refused(f"You have answered round {form.round.number}; you can change your answer until it closes.")
    return me, form.round, prompt


def skip(db: Session, *, actor: Actor, round_id: int | None, now: datetime) -> Round:
    """The actor skips the round: no reminder, and not counted as asked. Answering later still counts."""
    _, round_, prompt = _my_prompt(db, actor, round_id, now)
    prompt.status = SKIPPED
    db.add(prompt)
    round_post.show_open(db, round_, now=now)
    return round_


def remind_tomorrow(db: Session, *, actor: Actor, round_id: int | None, now: datetime) -> datetime:
    """Move the actor's one reminder of the round to the next working day, at the round's time in their
    zone (within their working hours); returns when it comes."""
    me, round_, prompt = _my_prompt(db, actor, round_id, now)
    relationship = me.relationship
    tz = zone(prompt.tz)
    cadence = parse_cadence(relationship.checkin_cadence, field="checkin_cadence")
    hours = calendars.person_hours(me.person, me.party)
    tomorrow = hours.next_working_moment(datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time(0), tz))
    at = quiet.next_allowed({me.person.user_id: hours}, [me.person.user_id],
                            datetime.combine(tomorrow.astimezone(tz).date(), cadence.at, tz))
    if at >= round_.closes_at:
        raise Refused(f"Round {round_.number} closes before then: answer it, or skip it.")
    prompt.reminded, prompt.status = True, ASKED
    db.add(prompt)
    work.schedule(db, kind=rounds.REMIND_KIND, key=f"{rounds.REMIND_KIND}:{round_.id}:own:{actor.user_id}",
                  due_at=at, now=now, payload={"round_id": round_.id, "index": "own", "user_ids": [actor.user_id],
                                               "own": True})
    return at


@dataclass(frozen=True)
class Away:
    """Where the actor's absence stands."""

    until: date | None
    rounds: int  # open rounds it took them out of (or put them back in)


def set_away(db: Session, *, actor: Actor, until: str, now: datetime) -> Away:
    """`until` a date (YYYY-MM-DD, inclusive) to be away, or "off" to be back: an away person is not prompted,
    and open rounds they have not answered stop counting them as asked."""
    me = access.member(db, actor, lock=True)
    today = local_today(me.relationship, now)
    words = until.strip().lower()
    if words in ("off", "back", "none", ""):
        me.person.away_until = None
    else:
        end = iso_date(words.removeprefix("until").strip(), field="until", label="The last day away",
                       not_before=today)
        if end > today + LONGEST_AWAY:
            raise InputError("Give a last day away within a year.", field="until")
        me.person.away_until = end
    db.add(me.person)
    status = AWAY if me.person.away_until is not None else ASKED
    answered = select(Answer.user_id).where(Answer.round_id == Prompt.round_id)
    changed = 0
    for prompt, round_ in db.exec(select(Prompt, Round).where(
            Prompt.round_id == Round.id, Round.relationship_id == me.relationship.id, Round.status == OPEN,
            Prompt.user_id == actor.user_id, col(Prompt.status).in_([ASKED, AWAY]),
            col(Prompt.user_id).not_in(answered))):
        if prompt.status != status:
            prompt.status = status
            db.add(prompt)
            round_post.show_open(db, round_, now=now)
            changed += 1
    return Away(me.person.away_until, changed)
