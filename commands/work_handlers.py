"""The registry of due-work handlers: a work item's kind names the use case that runs it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlmodel import Session

from commands import reminders
from commands.checkins import rounds
from commands.consent import decisions, proposals
from commands.disputes import ladder, lifecycle
from commands.privacy import retention
from commands.reviews import runs
from commands.rmp import chasing
from storage.models import WorkItem

WorkHandler = Callable[[Session, WorkItem, datetime], None]

HANDLERS: Mapping[str, WorkHandler] = {
    reminders.KIND: reminders.post_reminder,
    rounds.OPEN_KIND: rounds.open_round,
    rounds.PROMPT_KIND: rounds.send_prompt,
    rounds.REMIND_KIND: rounds.send_reminders,
    rounds.CLOSE_KIND: rounds.close_round,
    ladder.WARN_KIND: lifecycle.warn,
    ladder.ESCALATE_KIND: lifecycle.escalate_on_timer,
    runs.KIND: runs.run_scheduled,
    proposals.LAPSE_KIND: decisions.lapse,
    chasing.KIND: chasing.send_nudge,
    retention.KIND: retention.purge,
}
