"""The plan file's schema: one pydantic model per section's row (`accord export` writes them, `accord import`
reads them), and pydantic's first refusal as `path: message` (`kpis[0].values[1].period: expected a date`).

The names written beside ids (`Shown`: `owner_name`, `level_name`, a change's `text`) are optional, checked as
text and dropped by `model_dump`: the ids are what is imported."""

from __future__ import annotations

from typing import Annotated, Any, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PlainValidator,
)
from pydantic_core import ErrorDetails

from commands.calendar import parse_hours, parse_region
from commands.disputes import lifecycle
from commands.reviews import transfer as review_transfer
from commands.reviews import values as value_entries
from commands.rmp import exits, objectives, risks
from commands.rmp.export import PlanFileError, shown
from commands.rmp.plan_fields import (
    ACTION_STATUSES,
    DIRECTIONS,
    LEFT_HOW,
    MAX_INT,
    PERSON_NAME,
    Amount,
    Cadence,
    Day,
    Description,
    Detail,
    Figures,
    Flag,
    Instant,
    ItemNumber,
    Json,
    Long,
    Number,
    PartyName,
    Shown,
    SlackId,
    Slot,
    Title,
    Weekday,
    Zone,
    checked,
    choice,
    distinct_weekdays,
    fail,
    read_day,
    whole,
)
from commands.rmp.plan_fields import text as text_of  # not `text`: a change's `text` field would hide it
from commands.wording import DEFAULT_CURRENCY, currency_code
from storage import limits
from storage.disputes import OPEN, PAUSED, RESOLVED
from storage.partnership import COMMITMENT_STATUSES, IDEA_STATUSES, RESOURCES
from storage.rmp import CONNECT, ROLES, SINGLE


class Row(BaseModel):
    """A mapping of the file: every field given, no other."""

    model_config = ConfigDict(extra="forbid")


class Level(Row):
    name: Annotated[str, text_of(limits.LEVEL_NAME)]
    days: Annotated[int, whole(1, 60)] | None


def _ladder(levels: list[Level]) -> list[Level]:
    if not 2 <= len(levels) <= 6:
        fail(f"expected 2 to 6 levels, got {len(levels)}")
    for index, level in enumerate(levels[:-1]):
        if level.days is None:
            fail("only the last level may have no timer", f"[{index}].days")
    return levels


Ladder = Annotated[list[Level], AfterValidator(_ladder)]


def _currency(value: str) -> str:
    try:
        return currency_code(value)
    except ValueError as error:
        fail(str(error))


Currency = Annotated[str, AfterValidator(_currency)]


class RelationshipRow(Row):
    channel_id: SlackId
    name: Title
    mode: Annotated[str, choice((CONNECT, SINGLE))]
    timezone: Zone
    currency: Currency = DEFAULT_CURRENCY  # files written before relationships had one: the default
    checkin_cadence: Cadence
    review_cadence: Cadence
    ladder: Ladder
    exit_reviewed_on: Day | None
    checkin_statements: list[Title]
    checkin_scale: Annotated[int, whole(3, 10)]
    checkin_window_days: Annotated[int, whole(1, 20)]
    checkin_min_respondents: Annotated[int, whole(3, 50)]
    checkin_reminders: Annotated[int, whole(0, 1)]
    gap_threshold: Number
    charter_mission: Annotated[str, text_of(limits.LONG, required=False)]
    charter_values: list[Title]
    charter_behaviours: list[Title]
    retention_months: Annotated[int, whole(1, 120)]
    version: Annotated[int, whole(0, MAX_INT)]
    created_at: Instant
    updated_at: Instant


class PartyRow(Row):
    slot: Slot
    name: PartyName
    team_id: SlackId | None
    enterprise_id: SlackId | None
    team_ids: list[SlackId]
    timezone: Zone
    working_days: Annotated[list[Weekday], AfterValidator(distinct_weekdays)]
    working_hours: Annotated[str, checked(limits.HOURS, lambda hours: parse_hours(hours, field="working_hours"))]
    holidays: list[Annotated[str, PlainValidator(lambda value: read_day(value).isoformat())]]  # kept as written
    holiday_region: Annotated[str, checked(limits.REGION, lambda region: parse_region(region, field="holiday_region"),
                                           required=False)]


class PersonRow(Row):
    user_id: SlackId
    name: Annotated[str, text_of(PERSON_NAME)] | None
    party: Slot
    party_name: Shown = None
    role: Annotated[str, choice(ROLES)]
    tz: Zone | None
    left_at: Instant | None
    left_how: Annotated[str, choice(LEFT_HOW)]
    left_by: SlackId | None
    left_by_name: Shown = None
    erased_at: Instant | None


class ObjectiveRow(Row):
    number: ItemNumber
    party_slot: Slot | None
    party: Shown = None
    title: Title
    benefit_1: Detail
    benefit_2: Detail
    status: Annotated[str, choice(objectives.STATUSES)]


class KpiValueRow(Row):
    period: Day
    value: Number
    reported_by: SlackId
    reported_by_name: Shown = None
    reported_at: Instant


class KpiRow(Row):
    number: ItemNumber
    name: Annotated[str, text_of(limits.KPI_NAME)]
    unit: Annotated[str, text_of(limits.UNIT, required=False)]
    direction: Annotated[str, choice(DIRECTIONS)]
    target: Number
    amber: Number
    red: Number
    owner_slot: Slot
    owner_party: Shown = None
    reporter_slot: Slot
    reporter_party: Shown = None
    cadence: Annotated[str, text_of(limits.KPI_CADENCE)]
    active: Flag
    service_level: Flag
    values: list[KpiValueRow]


class RiskRow(Row):
    number: ItemNumber
    description: Description
    likelihood: Annotated[int, whole(1, 5)]
    impact: Annotated[int, whole(1, 5)]
    owner_user_id: SlackId
    owner_name: Shown = None
    mitigation: Detail
    status: Annotated[str, choice(risks.STATUSES)]
    review_on: Day | None


class ActionRow(Row):
    number: ItemNumber
    description: Description
    owner_user_id: SlackId
    owner_name: Shown = None
    due_on: Day
    status: Annotated[str, choice(ACTION_STATUSES)]
    reason: Detail
    closed_on: Day | None
    snoozed_until: Day | None
    done_asked_by: SlackId | None
    done_asked_by_name: Shown = None


class TriggerRow(Row):
    number: ItemNumber
    kind: Annotated[str, choice(exits.KINDS)]
    description: Description
    kpi_number: ItemNumber | None
    periods: Annotated[int, whole(1, 24)] | None
    threshold: Number | None
    on_date: Day | None
    objective_number: ItemNumber | None
    status: Annotated[str, choice(exits.STATUSES)]


class LogRow(Row):
    at: Instant
    user_id: SlackId
    user_name: Shown = None
    party: Annotated[str, text_of(limits.PARTY, required=False)]
    kind: Annotated[str, text_of(limits.CODE)]
    detail: Json


class DisputeRow(Row):
    number: ItemNumber
    title: Title
    description: Annotated[str, text_of(limits.DISPUTE)]
    severity: Annotated[str, choice(lifecycle.SEVERITIES)]
    desired_outcome: Detail
    raised_by: SlackId
    raised_by_name: Shown = None
    raising_slot: Slot
    raising_party: Shown = None
    evidence_channel: SlackId | None
    evidence_ts: Annotated[str, text_of(limits.TS)] | None
    ladder: Ladder
    level: Annotated[int, whole(1, 6)]  # counted from 1, as shown: L2 is `level: 2` (stored from 0)
    level_name: Shown = None
    level_started_at: Instant
    level_due_at: Instant | None
    paused_remaining: Number | None
    status: Annotated[str, choice((OPEN, PAUSED, RESOLVED))]
    proposal: Long | None
    proposal_slot: Slot | None
    proposal_by: SlackId | None
    proposal_by_name: Shown = None
    resolution: Long | None
    lessons: Long | None
    opened_at: Instant
    resolved_at: Instant | None
    log: list[LogRow]


class ValueRow(Row):
    party_slot: Slot
    party: Shown = None
    kind: Annotated[str, choice(value_entries.KINDS)]
    amount: Amount | None
    description: Detail
    on: Day
    recorded_by: SlackId
    recorded_by_name: Shown = None
    recorded_at: Instant


class SignatureRow(Row):
    party_slot: Slot
    party: PartyName
    user_id: SlackId
    user_name: Shown = None
    signed_at: Instant
    plan_version: Annotated[int, whole(0, MAX_INT)] | None
    exit_reviewed: Flag


class ExpectationRow(Row):
    party_slot: Slot
    party: Shown = None
    score: Annotated[int, whole(1, 5)]
    note: Detail
    user_id: SlackId
    user_name: Shown = None
    at: Instant


class LessonRow(Row):
    number: ItemNumber
    party_slot: Slot
    party: Shown = None
    user_id: SlackId
    user_name: Shown = None
    failure: Annotated[str, text_of(limits.DETAIL)]
    reason: Detail
    avoidance: Detail
    at: Instant


class ReviewRow(Row):
    number: ItemNumber
    starts_at: Instant
    ends_at: Instant
    trigger: Annotated[str, choice(review_transfer.TRIGGERS)]
    requested_by: SlackId
    requested_by_name: Shown = None
    created_at: Instant
    figures: Figures
    signatures: list[SignatureRow]
    expectations: list[ExpectationRow]
    lessons: list[LessonRow]


class WinRow(Row):
    number: ItemNumber
    party_slot: Slot
    party: Shown = None
    user_id: SlackId
    user_name: Shown = None
    text: Annotated[str, text_of(limits.DETAIL)]
    created_at: Instant


class CommitmentRow(Row):
    number: ItemNumber
    party_slot: Slot
    party: Shown = None
    resource: Annotated[str, choice(RESOURCES)]
    description: Description
    quantity: Annotated[str, text_of(limits.TITLE, required=False)]
    status: Annotated[str, choice(COMMITMENT_STATUSES)]
    reason: Detail
    marked_by: SlackId | None
    marked_by_name: Shown = None
    marked_on: Day | None
    created_at: Instant


class IdeaRow(Row):
    number: ItemNumber
    party_slot: Slot
    party: Shown = None
    raised_by: SlackId
    raised_by_name: Shown = None
    title: Description
    owner_user_id: SlackId
    owner_name: Shown = None
    status: Annotated[str, choice(IDEA_STATUSES)]
    benefit_1: Detail
    benefit_2: Detail
    source_ts: Annotated[str, text_of(limits.TS)] | None
    created_at: Instant
    agreed_at: Instant | None
    done_at: Instant | None


class ChangeRow(Row):
    version: ItemNumber
    at: Instant
    user_id: Annotated[str, text_of(limits.SLACK_ID, required=False)]
    user_name: Shown = None
    party: Annotated[str, text_of(limits.PARTY, required=False)]
    entity: Annotated[str, text_of(limits.ENTITY)]
    entity_id: Annotated[int, whole(0, MAX_INT)] | None
    verb: Annotated[str, text_of(limits.CODE)]
    before: Json
    after: Json
    text: Shown = None


class PlanFile(Row):
    """The document's sections, in order (`accord_export` aside)."""

    relationship: RelationshipRow
    parties: list[PartyRow]
    people: list[PersonRow]
    objectives: list[ObjectiveRow]
    kpis: list[KpiRow]
    risks: list[RiskRow]
    actions: list[ActionRow]
    exit_triggers: list[TriggerRow]
    disputes: list[DisputeRow]
    values: list[ValueRow]
    reviews: list[ReviewRow]
    wins: list[WinRow]
    commitments: list[CommitmentRow]
    ideas: list[IdeaRow]
    history: list[ChangeRow]




def _fields(section: Any) -> tuple[str, ...]:
    row: type[Row] = get_args(section)[0] if get_origin(section) is list else section
    return tuple(row.model_fields)


READERS = {section: _fields(field.annotation) for section, field in PlanFile.model_fields.items()}  # in order


def plan_error(error: ErrorDetails) -> PlanFileError:
    """Pydantic's first refusal as `path: message`, the path as the file spells it (`kpis[0].values[1].period`)."""
    loc, ctx = error["loc"], error.get("ctx", {})
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)[1:] + ctx.get("at", "")
    match error["type"]:
        case "missing":
            message = "missing"
        case "extra_forbidden":
            message = "unknown field"
        case "too_long":
            message = f"holds at most {ctx['max_length']} characters, got {ctx['actual_length']}"
        case "model_type" | "model_attributes_type" | "dict_type":
            message = f"expected a mapping, got {shown(error['input'])}"
        case "list_type":
            message = f"expected a list, got {shown(error['input'])}"
        case _:
            message = error["msg"]
    return PlanFileError(f"{path}: {message}", field=path)
