"""Views by name: the outbox stores a view's name and data, the sender renders at send time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot import charts, report
from bot.charts import FileContent
from bot.views import (
    checkins,
    disputes,
    help,
    ideas,
    leaving,
    notices,
    nudges,
    objectives,
    promises,
    proposals,
    reminders,
    reviews,
    rmp,
    rounds,
    wins,
)

Rendered = dict[str, Any]

VIEWS: Mapping[str, Callable[[dict[str, Any]], Rendered]] = {
    "reminder": reminders.reminder,
    "mention_help": help.mention_help,
    "rmp_welcome": rmp.welcome,
    "action_cannot_complete": rmp.cannot_complete,
    "nudge": nudges.nudge,
    "nudge_assigned": nudges.assigned,
    "action_done_asked": nudges.done_asked,
    "action_done_by_other": nudges.done_by_other,
    "action_done_confirmed": nudges.done_confirmed,
    "checkin_prompt": checkins.prompt,
    "checkin_summary": rounds.summary,
    "checkin_round": rounds.round_message,
    "checkin_details": rounds.details,
    "checkin_comments": rounds.comments,
    "checkin_closed": rounds.closed_notice,
    "exit_warning": checkins.exit_warning,
    "dispute_root": disputes.root,
    "dispute_event": disputes.event,
    "dispute_linked": disputes.linked,
    "dispute_closed": disputes.closed,
    "review_summary": reviews.summary,
    "review_part": reviews.part,
    "review_signed": reviews.signed,
    "proposal": proposals.proposal,
    "proposal_lapsed": proposals.lapsed,
    "mention_later": notices.mention_later,
    "plan_digest": notices.plan_digest,
    "win": wins.win_posted,
    "idea": ideas.idea_posted,
    "objective_failing": objectives.failing,
    "service_level_breach": promises.breach,
    "commitment_not_honoured": promises.not_honoured,
    "person_gone": leaving.person_gone,
    "raw": dict,  # already rendered by a listener (ephemeral answers, App Home views)
}

# File views: what the outbox shares as a file (method "files.upload"), by name.
FILES: Mapping[str, Callable[[dict[str, Any]], FileContent]] = {
    "review_chart": charts.chart_file,
    "audit_report": report.report_file,
}


class UnknownView(LookupError):
    """The outbox names a view this version cannot render."""


def _builder(table: Mapping[str, Callable[[dict[str, Any]], Any]], view: str) -> Callable[[dict[str, Any]], Any]:
    try:
        return table[view]
    except KeyError:
        raise UnknownView(f"unknown {'file view' if table is FILES else 'view'} {view!r}") from None


def render(view: str, data: dict[str, Any]) -> Rendered:
    """Render the named view; raises UnknownView for a name not registered."""
    return _builder(VIEWS, view)(data)


def render_file(view: str, data: dict[str, Any]) -> FileContent:
    """Render the named file view; raises UnknownView for a name not registered."""
    return _builder(FILES, view)(data)
