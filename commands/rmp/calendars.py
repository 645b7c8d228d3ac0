"""Each party's calendar as stored, the joint calendar of both, and a person's working hours."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from commands.calendar import JointCalendar, PartyCalendar, parse_hours, zone
from storage.rmp import Party, Person, Relationship


def party_calendar(party: Party) -> PartyCalendar:
    """The party's working days and hours, holidays and region, in its own timezone."""
    start, end = parse_hours(party.working_hours, field="working_hours")
    return PartyCalendar(zone(party.timezone), frozenset(party.working_days), start, end,
                         frozenset(date.fromisoformat(day) for day in party.holidays), party.holiday_region)


def parties_of(db: Session, relationship_id: int | None) -> list[Party]:
    """The relationship's two parties, slot 1 first."""
    return list(db.exec(select(Party).where(Party.relationship_id == relationship_id).order_by(col(Party.slot))))


def joint(db: Session, relationship: Relationship) -> JointCalendar:
    """Both parties' calendars: dispute clocks, check-in windows and the cadences' working days."""
    return JointCalendar(tuple(party_calendar(party) for party in parties_of(db, relationship.id)))


def person_hours(person: Person, party: Party) -> PartyCalendar:
    """A person's working hours: their party's days and hours, in their own Slack timezone (the party's when
    Slack gives none)."""
    calendar = party_calendar(party)
    return calendar.in_zone(zone(person.tz)) if person.tz else calendar


def people_hours(db: Session, relationship_id: int, user_ids: list[str]) -> dict[str, PartyCalendar]:
    """The working hours of each of `user_ids` who is in the relationship (others are not in it: no hours)."""
    rows = db.exec(select(Person, Party).where(Person.relationship_id == relationship_id,
                                               Person.party_id == Party.id, col(Person.user_id).in_(user_ids)))
    return {person.user_id: person_hours(person, party) for person, party in rows}


def local_zone_name(person: Person | None, party: Party) -> str:
    """The timezone a person reads times in: their own, else their party's."""
    return (person.tz if person and person.tz else None) or party.timezone
