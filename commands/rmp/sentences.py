"""The plan's changes in words: one sentence per recorded change, naming people and things.

`sentence` is pure: it reads a change (a `Change` row or anything with its fields) and the `Names` it needs
(people's names, party names, the things' titles), and says who did what to which thing, with the fields
that changed in words: dates as `4 Jan–1 Apr`, people by name, never `null` or a raw Slack id, and never a
field whose before and after are equal. `names_for` loads the `Names` of some changes from the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlmodel import Session, col, select

from commands import wording
from commands.privacy.pseudonyms import stand_ins
from commands.wording import possessive
from storage.partnership import Idea
from storage.rmp import Action, ExitTrigger, Kpi, Objective, Party, Person, Proposal, Relationship, Risk

ACCORD = "accord"  # the user id of what Accord does by itself (a scheduled review, a timer)
UNNAMED = "someone"  # a person Slack has not named yet: never their raw id
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KINDS = {"objective": "objective", "kpi": "KPI", "risk": "risk", "action": "action", "exit_trigger": "exit trigger",
         "review": "review", "proposal": "proposal", "dispute": "dispute"}
TITLE_FIELDS = {"objective": "title", "kpi": "name", "risk": "description", "action": "description",
                "exit_trigger": "description", "idea": "title"}
ROLES = {"ser": "an SER", "manager": "a manager", "member": "a member", "observer": "an observer"}
LABELS = {
    "checkin_cadence": "check-in cadence", "review_cadence": "review cadence", "ladder": "escalation ladder",
    "exit_reviewed_on": "exit strategy reviewed", "checkin_statements": "check-in statements",
    "checkin_scale": "rating scale", "checkin_window_days": "days to answer",
    "checkin_min_respondents": "fewest answers shown", "checkin_reminders": "reminders",
    "gap_threshold": "perception gap threshold", "timezone": "time zone", "holiday_region": "holiday region",
    "party_slot": "whose", "owner_slot": "owned by", "reporter_slot": "reported by", "owner_user_id": "owner",
    "due_on": "due", "kpi_number": "KPI", "on_date": "on", "objective_number": "objective",
    "review_on": "review date", "closed_on": "closed on", "done_asked_by": "asked to confirm by",
    "user_id": "person",
    "charter_mission": "mission", "charter_values": "shared values", "charter_behaviours": "behaviours",
    "retention_months": "months individual check-in answers are kept",
}
HIDDEN = {"amber", "nudged_on", "snoozed_until", "number", "version", "created_at", "updated_at", "team_id",
          "team_ids", "enterprise_id", "channel_id"}  # derived or internal: never a change in words
PEOPLE_FIELDS = {"owner_user_id", "user_id", "done_asked_by", "left_by", "reported_by", "proposal_by", "raised_by",
                 "requested_by", "recorded_by"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
SHORT = 80  # free text quoted in a sentence is cut to this many characters


class ChangeLike(Protocol):
    """What a sentence reads of a change: a `Change` row, or a digest entry."""

    user_id: str
    party: str
    entity: str
    entity_id: int | None
    verb: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


@dataclass(frozen=True)
class Names:
    """What the sentences name: people by Slack id, parties by slot, things by kind and number."""

    people: dict[str, str] = field(default_factory=dict)
    parties: dict[int, str] = field(default_factory=dict)
    titles: dict[tuple[str, int], str] = field(default_factory=dict)
    currency: str = wording.DEFAULT_CURRENCY  # the relationship's, for amounts of money

    def person(self, user_id: str | None) -> str:
        """Their name; Accord for what Accord did; `someone` for a person Slack has not named yet."""
        if user_id == ACCORD:
            return "Accord"
        return self.people.get(user_id or "") or UNNAMED

    def party(self, slot: Any) -> str:
        """A party's name by its slot."""
        return self.parties.get(slot, f"party {slot}") if isinstance(slot, int) else "—"


def day(value: date | str, *, year: int | None = None) -> str:
    """`4 Jan`, with the year when it is not `year`: `4 Jan 2026` (text that is no date as it is)."""
    if isinstance(value, str) and not _DAY.match(value):
        return _short(value)
    when = date.fromisoformat(value) if isinstance(value, str) else value
    text = f"{when.day} {when:%b}"
    return text if when.year == year else f"{text} {when.year}"


def days(first: date | str, last: date | str, *, year: int | None = None) -> str:
    """`4 Jan–1 Apr`; both years when the span crosses one, or is not in `year`."""
    start = date.fromisoformat(first) if isinstance(first, str) else first
    end = date.fromisoformat(last) if isinstance(last, str) else last
    if start == end:
        return day(start, year=year)
    if start.year == end.year and start.year == year:
        return f"{day(start, year=year)}–{day(end, year=year)}"
    if start.year == end.year:
        return f"{start.day} {start:%b}–{day(end)}"
    return f"{day(start)}–{day(end)}"


def weekdays(numbers: Iterable[int]) -> str:
    """`Mon–Fri`, `Sun–Thu`, `Mon, Wed, Fri`: working days (0 = Monday) by name."""
    chosen = sorted({d for d in numbers if 0 <= d <= 6})
    if not chosen:
        return "none"
    for first in chosen:  # a run of three or more days, maybe across the week's end
        run = [(first + step) % 7 for step in range(len(chosen))]
        if len(chosen) > 2 and sorted(run) == chosen:
            return f"{WEEKDAYS[run[0]]}–{WEEKDAYS[run[-1]]}"
    return ", ".join(WEEKDAYS[d] for d in chosen)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHORT else text[:SHORT - 1] + "…"


def _quoted(text: str) -> str:
    return f"“{_short(text)}”"


def _unmention(text: str, names: Names) -> str:
    """Slack mentions (`<@U123>`) in recorded words, as the people's names."""
    return _MENTION.sub(lambda match: names.person(match.group(1)), text)


def words(key: str, value: Any, names: Names, *, year: int | None = None) -> str:
    """A field's value in words: people and parties by name, days as `4 Jan`, no `null`."""
    if key == "party_slot" and value is None:
        return "joint (ours)"
    if value is None or value == "" or value == []:
        return "none"
    if key in PEOPLE_FIELDS and isinstance(value, str):
        return names.person(value)
    if key.endswith("_slot"):
        return names.party(value)
    if key == "amount" and isinstance(value, int | float):
        return wording.money(value, names.currency)
    if key == "working_days" and isinstance(value, list):
        return weekdays(d for d in value if isinstance(d, int))
    if key == "ladder" and isinstance(value, list):
        return " → ".join(f"{level.get('name', '?')} ({level['days']} days)" if level.get("days") else
                          str(level.get("name", "?")) for level in value if isinstance(level, dict))
    if key == "kpi_number":
        return f"KPI #{value}"
    if key == "objective_number":
        return f"objective #{value}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _DAY.match(value):
        return day(value, year=year)
    if isinstance(value, list):
        return ", ".join(words(key, item, names, year=year) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{label(k, names)} {words(k, v, names, year=year)}" for k, v in value.items())
    return _short(_unmention(str(value), names))


def label(key: str, names: Names) -> str:
    """A field's name in words: `owner`, `benefit to Northwind`."""
    if key.startswith("benefit_") and key[-1:].isdigit():
        return f"benefit to {names.party(int(key[-1]))}"
    return LABELS.get(key, key.replace("_", " "))


def fields(before: dict[str, Any] | None, after: dict[str, Any] | None, names: Names, *,
           year: int | None = None, skip: Iterable[str] = ()) -> str:
    """What changed, field by field: `owner from Carol to Dave; due set to 12 Jan`. Fields whose before and
    after read the same (or are hidden) are left out."""
    before, after, skipped = before or {}, after or {}, set(skip) | HIDDEN
    parts = []
    for key in [*after, *(k for k in before if k not in after)]:
        if key in skipped:
            continue
        old = _short(words(key, before.get(key), names, year=year))
        new = _short(words(key, after.get(key), names, year=year))
        if old == new:
            continue
        name = label(key, names)
        if key not in before or old == "none":
            parts.append(f"{name} set to {new}")
        elif key in after and new != "none":
            parts.append(f"{name} from {old} to {new}")
        else:
            parts.append(f"{name} cleared (was {old})")
    return "; ".join(parts)


def thing(entity: str, number: int | None, names: Names, *, values: dict[str, Any] | None = None) -> str:
    """`action #3 “Send the dock hours”`: the kind, number and title (as recorded, else as it is now)."""
    kind = KINDS.get(entity, entity.replace("_", " "))
    if number is None:
        return kind
    title = (values or {}).get(TITLE_FIELDS.get(entity, "")) or names.titles.get((entity, number))
    if title and entity == "proposal":  # its title is what it proposes to change, already in words
        return f"{kind} #{number} about {title}"
    return f"{kind} #{number} {_quoted(str(title))}" if title else f"{kind} #{number}"


def _subject(subject: str, names: Names) -> str:
    """A proposal's subject in words: `the check-in settings`, `action #3 “…”`, `a new risk`."""
    kind, _, number = subject.partition(":")
    if kind == "relationship":
        return "the plan's settings"
    if kind == "checkins":
        return "the check-in settings"
    if kind == "charter":
        return "the partnership charter"
    if number == "new":
        return f"a new {KINDS.get(kind, kind.replace('_', ' '))}"
    return thing(kind, int(number), names) if number.isdigit() else kind.replace("_", " ")


def _with(text: str, detail: str, sep: str = ": ") -> str:
    return f"{text}{sep}{detail}" if detail else text


def sentence(change: ChangeLike, names: Names) -> str:
    """The change as one sentence: `Erin (Northwind) held review #1 for 4 Jan–1 Apr (3 recommendations)`."""
    before, after = change.before or {}, change.after or {}
    year = change.at.year
    who = names.person(change.user_id)
    actor = f"{who} ({change.party})" if change.party else who
    entity, verb, number = change.entity, change.verb, change.entity_id
    what = thing(entity, number, names, values=after or before)
    subject = names.person(after.get("user_id") or before.get("user_id"))
    match entity, verb:
        case "relationship", "create":
            parties = [p.get("name", "") for p in after.get("parties", []) if isinstance(p, dict)]
            between = f" between {' and '.join(parties)}" if parties else ""
            return f"{actor} set up the plan {_quoted(str(after.get('name', '')))}{between}"
        case "relationship", _:
            return _with(f"{actor} changed the plan's settings", fields(before, after, names, year=year))
        case "party", _:
            return _with(f"{actor} changed {possessive(names.party(number))} settings",
                         fields(before, after, names, year=year))
        case "checkin_settings", _:
            return _with(f"{actor} changed the check-in settings", fields(before, after, names, year=year))
        case "charter", _:
            return _with(f"{actor} changed the partnership charter", fields(before, after, names, year=year))
        case "exit_strategy", "reviewed":
            return f"{actor} recorded the exit strategy as reviewed on " \
                   f"{words('on', after.get('exit_reviewed_on'), names, year=year)}"
        case "person", "join":
            again = " again" if before else ""
            return f"{subject} joined {after.get('party', 'the relationship')}{again} as " \
                   f"{ROLES.get(after.get('role', ''), 'a member')}"
        case "person", "role":
            was = f" (was {ROLES.get(before.get('role', ''), 'none')})" if before.get("role") else ""
            whom = "themselves" if after.get("user_id") == change.user_id else subject
            return f"{actor} made {whom} {ROLES.get(after.get('role', ''), after.get('role', ''))}{was}"
        case "person", "party":
            return f"{actor} put {subject} in {after.get('party', '?')} as " \
                   f"{ROLES.get(after.get('role', ''), after.get('role', ''))}"
        case "person", "left":
            return f"{subject} left the relationship"
        case "person", "removed":
            return f"{actor} removed {subject} from the relationship"
        case "person", "deactivated":
            return f"{subject} was deactivated in Slack and left the relationship"
        case "person", "erased":  # `accord erase`: counts only, never what was erased
            return f"{actor} erased the personal data of {subject}: " \
                   f"{wording.plural(int(after.get('answers') or 0), 'check-in answer')} and " \
                   f"{wording.plural(int(after.get('comments') or 0), 'comment')} deleted"
        case "person", "exported":
            return f"{actor} gave {subject} a copy of their personal data"
        case "checkin_answers", "purged":
            rounds = ", ".join(str(n) for n in after.get("rounds", []))
            return f"{actor} deleted the individual answers of check-in rounds {rounds} " \
                   f"({wording.plural(int(after.get('answers') or 0), 'answer')}, " \
                   f"{wording.plural(int(after.get('comments') or 0), 'comment')}), past the " \
                   f"{after.get('months', '?')} months they are kept; the published figures stay"
        case _, "create":
            return _with(f"{actor} added {what}", _created(entity, after, names, year))
        case _, "update" if set(after) - HIDDEN == {"owner_user_id"}:
            return f"{actor} reassigned {what} from {words('owner_user_id', before.get('owner_user_id'), names)} " \
                   f"to {words('owner_user_id', after.get('owner_user_id'), names)}"
        case _, "update":
            return _with(f"{actor} changed {what}", fields(before, after, names, year=year) or "no visible change")
        case "action", "done":
            return f"{actor} marked {what} done"
        case "action", "done_asked":
            return f"{actor} asked whether {what} is done"
        case "action", "cannot_complete":
            return _with(f"{actor} said {what} cannot be completed", _short(str(after.get("reason", ""))))
        case "kpi", "reported":
            was = f" (was {words('value', before['value'], names)})" if before.get("value") is not None else ""
            period = f" for {day(after['period'], year=year)}" if after.get("period") else ""
            round_ = f" in check-in round {after['round']}" if after.get("round") else ""
            return f"{actor} reported {words('value', after.get('value'), names)} for {what}{round_}{period}{was}"
        case "commitment", "not_honoured":
            return _with(f"{actor} marked {what} not honoured", _short(str(after.get("reason", ""))))
        case "commitment", "honoured":
            return f"{actor} marked {what} honoured again"
        case "commitment", "withdraw":
            return f"{actor} withdrew {what}"
        case "exit_trigger", "fired":
            return _with(f"{what[0].upper()}{what[1:]} fired", _short(str(after.get("reason", ""))))
        case "idea", "agreed" | "started" | "delivered":  # commands.rmp.ideas
            return f"{actor} {verb} {what}"
        case "idea", "dropped":
            return _with(f"{actor} dropped {what}", _short(str(after.get("reason", ""))))
        case "review", "held":
            period = str(after.get("period", ""))
            first, _, last = period.partition(" to ")
            span = f" for {days(first, last, year=year)}" if _DAY.match(first) and _DAY.match(last) else ""
            count = after.get("recommendations")
            advice = f" ({count} recommendation{'s' if count != 1 else ''})" if isinstance(count, int) else ""
            return f"{actor} held {what}{span}{advice}"
        case "review", "signed" if after.get("plan_version"):  # commands.reviews.minutes: what the SER reviewed
            also = " and the exit strategy" if after.get("exit_reviewed") else ""
            return f"{actor} signed {what} off, having reviewed plan version {after['plan_version']}{also}"
        case "review", "signed":
            return f"{actor} signed {what} off"
        case "review", "expectations":
            return _with(f"{actor} stated {possessive(str(after.get('party', '?')))} expectations of {what}: "
                         f"{after.get('score', '?')}/5 met", _short(str(after.get("note", ""))), " · ")
        case "review", "lesson":
            return _with(f"{actor} recorded lesson {after.get('lesson', '?')} in {what}",
                         _short(str(after.get("failure", ""))))
        case "value", _:
            amount = f" of {words('amount', after['amount'], names)}" if after.get("amount") is not None else ""
            on = f" on {day(after['on'], year=year)}" if after.get("on") else ""
            return _with(f"{actor} recorded a {after.get('kind', 'value')}{amount} for {after.get('party', '?')}{on}",
                         _short(str(after.get("description", ""))))
        case "proposal", "propose":
            subject = str(after.get("subject", ""))
            if subject.endswith(":new"):
                return f"{actor} proposed {_with(_subject(subject, names), _proposed(after, names, year), ' ')} " \
                       f"(proposal #{number})"
            return _with(f"{actor} proposed a change to {_subject(subject, names)} (proposal #{number})",
                         _proposed(after, names, year))
        case "proposal", _:
            done = {"approve": "approved", "reject": "rejected", "withdraw": "withdrew", "lapse": "lapsed"}
            reason = _short(str(after.get("reason", ""))) if after.get("reason") else ""
            if verb == "lapse":
                return f"{what[0].upper()}{what[1:]} lapsed undecided"
            return _with(f"{actor} {done.get(verb, verb.replace('_', ' '))} {what}", reason)
    return _with(f"{actor} {verb.replace('_', ' ')} {what}", fields(before, after, names, year=year))


def _proposed(after: dict[str, Any], names: Names, year: int) -> str:
    """A proposal's changes as recorded in words, people named and days shown as `4 Jan`; a new item by its
    title alone."""
    changes = [c for c in after.get("changes", []) if isinstance(c, dict)]

    def said(value: Any) -> str:
        text = _unmention(str(value if value is not None else ""), names)
        return day(text, year=year) if _DAY.match(text) else _short(text)

    if str(after.get("subject", "")).endswith(":new"):
        titles = [c for c in changes if c.get("field") in ("title", "description", "name")]
        return _quoted(str(titles[0].get("after", ""))) if titles else ""
    parts = [f"{c.get('field', '?')} from {said(c.get('before'))} to {said(c.get('after'))}"
             if c.get("before") not in (None, "", "—") else f"{c.get('field', '?')} set to {said(c.get('after'))}"
             for c in changes if said(c.get("before")) != said(c.get("after"))]
    return "; ".join(parts)


def _proposal_title(after: dict[str, Any], names: Names, year: int) -> str:
    """What a proposal is about: `the check-in settings`, `a new action “Agree the SLA”`."""
    subject = str(after.get("subject", ""))
    about = _subject(subject, names)
    return _with(about, _proposed(after, names, year), " ") if subject.endswith(":new") else about


def _created(entity: str, after: dict[str, Any], names: Names, year: int) -> str:
    """The few facts that say what a new item is: its owner and due date, its target, its score."""
    if entity == "objective":
        slot = after.get("party_slot")
        return "joint (ours)" if slot is None else f"{possessive(names.party(slot))} own"
    if entity == "kpi":
        unit = f" {after['unit']}" if after.get("unit") else ""
        target = f"target {words('target', after.get('target'), names)}{unit}"
        owned = "a service level promised by" if after.get("service_level") else "owned by"
        return f"{target}, {owned} {words('owner_slot', after.get('owner_slot'), names)}"
    if entity == "risk":
        score = f"likelihood {after.get('likelihood', '?')} × impact {after.get('impact', '?')}"
        return f"owner {words('owner_user_id', after.get('owner_user_id'), names)}, {score}"
    if entity == "action":
        return f"owner {words('owner_user_id', after.get('owner_user_id'), names)}, " \
               f"due {words('due_on', after.get('due_on'), names, year=year)}"
    if entity == "exit_trigger":
        return str(after.get("kind", "")).replace("_", " ")
    if entity == "commitment":
        quantity = f" {after['quantity']}" if after.get("quantity") else ""
        what = _short(str(after.get("description", "")))
        return f"{wording.possessive(str(after.get('party', '?')))} {after.get('resource', '')}{quantity}: {what}"
    return ""


def names_for(db: Session, relationship_id: int, changes: Sequence[ChangeLike]) -> Names:
    """The names the sentences of `changes` need: every person of the relationship, both parties, and the
    current titles of the things they touched (proposals by what they propose)."""
    rows = list(db.exec(select(Person).where(Person.relationship_id == relationship_id)))
    people = {p.user_id: p.name for p in rows if p.name}
    people.update(stand_ins(rows))  # erased people, as their history names them (commands/privacy)
    parties = {p.slot: p.name for p in db.exec(select(Party).where(Party.relationship_id == relationship_id))}
    wanted: dict[str, set[int]] = {}
    for change in changes:
        if change.entity_id is not None:
            wanted.setdefault(change.entity, set()).add(change.entity_id)
    titles: dict[tuple[str, int], str] = {}
    tables: dict[str, Any] = {"objective": Objective, "kpi": Kpi, "risk": Risk, "action": Action,
                              "exit_trigger": ExitTrigger, "idea": Idea}
    for entity, numbers in wanted.items():
        model = tables.get(entity)
        if model is not None:
            for row in db.exec(select(model).where(model.relationship_id == relationship_id,
                                                   col(model.number).in_(numbers))):
                titles[(entity, row.number)] = getattr(row, TITLE_FIELDS[entity])
    relationship = db.get(Relationship, relationship_id)
    currency = relationship.currency if relationship is not None else wording.DEFAULT_CURRENCY
    partial = Names(people, parties, dict(titles), currency)
    for change in changes:  # a proposal's subject as its proposal recorded it (an import keeps no proposals)
        if change.entity == "proposal" and change.verb == "propose" and change.entity_id is not None:
            titles[("proposal", change.entity_id)] = _proposal_title(change.after or {}, partial, change.at.year)
    missing = wanted.get("proposal", set()) - {number for kind, number in titles if kind == "proposal"}
    if missing:
        for proposal in db.exec(select(Proposal).where(Proposal.relationship_id == relationship_id,
                                                       col(Proposal.number).in_(missing))):
            recorded = {"subject": proposal.subject, "changes": proposal.changes}
            titles[("proposal", proposal.number)] = _proposal_title(recorded, partial, proposal.created_at.year)
    return Names(people, parties, titles, currency)
