"""The /accord subcommands and their one-line descriptions, with "did you mean"."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Subcommand:
    """One `/accord` subcommand as the help lists it."""

    name: str
    usage: str
    summary: str


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "/accord help", "List every subcommand with a one-line description."),
    Subcommand("setup", "/accord setup",
               "Set up (or edit) this channel's relationship: parties, calendar, cadences, ladder."),
    Subcommand("join", "/accord join", "Join this channel's relationship as a person of your organisation."),
    Subcommand("people", "/accord people", "List both parties' people by role."),
    Subcommand("role", "/accord role @person <ser|manager|member|observer>", "Set a role in your own party."),
    Subcommand("party", "/accord party add @person <party> [role]", "Put a person in a party (single workspace)."),
    Subcommand("leave", "/accord leave [@successor]",
               "Leave the relationship; a party's last SER names who becomes SER."),
    Subcommand("remove", "/accord remove @person [@successor]",
               "Remove a person of your own party (SERs and managers)."),
    Subcommand("status", "/accord status [public]", "The relationship at a glance; `public` posts it to the channel."),
    Subcommand("objective", "/accord objective [edit N]", "Add or edit an objective: ours, yours or mine."),
    Subcommand("kpi", "/accord kpi [edit N]", "Add or edit a KPI with its target and RAG thresholds."),
    Subcommand("risk", "/accord risk [edit N]", "Add or edit a risk (likelihood × impact)."),
    Subcommand("action", "/accord action [edit N | done N | cannot N]",
               "Add or edit an action, mark it done (the other party's people ask, the owner's party confirms), "
               "or say it cannot be completed."),
    Subcommand("exit", "/accord exit [edit N | reviewed]", "Add or edit an exit trigger; record a strategy review."),
    Subcommand("checkin", "/accord checkin [settings]",
               "Answer the open check-in round; `settings` changes the statements, scale and window."),
    Subcommand("away", "/accord away until YYYY-MM-DD | off",
               "Be away: no check-in prompts until then, and missed rounds do not count against participation."),
    Subcommand("dispute", "/accord dispute",
               "Raise a dispute (also: the message shortcut \"Raise as dispute\", or `@accord dispute` in a thread)."),
    Subcommand("disputes", "/accord disputes", "The open disputes with their level and the time left."),
    Subcommand("review", "/accord review now",
               "Hold a review of the time since the last one now (SERs and managers); it is also held on the cadence."),
    Subcommand("reviews", "/accord reviews [N]", "The past reviews and their sign-off; `N` shows review #N."),
    Subcommand("value", "/accord value", "Record a cost or a benefit of either party for the next review."),
    Subcommand("win", "/accord win <text>",
               "Record a win of your party: posted to the channel and counted in the next review."),
    Subcommand("history", "/accord history", "The latest changes to the plan, with who made them."),
    Subcommand(
        "remind",
        "/accord remind <when> <text>",
        "Post a reminder to this channel later: `tomorrow at 9`, `on 2027-01-05 at 14:00`, `in 3d` or "
        "`next monday`, in your own timezone.",
    ),
)


@dataclass(frozen=True)
class HelpResult:
    """What the help says; `unknown` and `suggestion` are set when a subcommand was mistyped."""

    subcommands: tuple[Subcommand, ...]
    unknown: str | None = None
    suggestion: str | None = None


def subcommand_names() -> list[str]:
    """The names `/accord` understands."""
    return [sub.name for sub in SUBCOMMANDS]


def get_help(*, unknown: str | None = None) -> HelpResult:
    """The full help; for a mistyped subcommand, also the closest real one."""
    if unknown is None:
        return HelpResult(SUBCOMMANDS)
    matches = difflib.get_close_matches(unknown.lower(), subcommand_names(), n=1, cutoff=0.6)
    return HelpResult(SUBCOMMANDS, unknown=unknown, suggestion=matches[0] if matches else None)
