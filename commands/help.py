"""The /accord subcommands and their one-line descriptions, with "did you mean": for a reader, only those they
may use, written as mentions (`@accord …`) for people whose workspace has no `/accord`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from commands.rmp.access import ACTORS, EDITORS, Standing

# who may use a subcommand: anyone; setup (anyone where there is no relationship yet, else its editors); the
# people Join takes; anyone in the relationship; all but observers; SERs and managers; and SERs and managers
# of a relationship in one workspace (`party`)
ANYONE, SETUP, JOINER, MEMBER, ACTOR, EDITOR, SINGLE_EDITOR = (
    "anyone", "setup", "joiner", "member", "actor", "editor", "single_editor")


@dataclass(frozen=True)
class Subcommand:
    """One `/accord` subcommand as the help lists it; `who` may use it, and `limited` is what its usage and
    summary are for people who may use only part of it (a member marks actions done, but adds none)."""

    name: str
    usage: str
    summary: str
    who: str = MEMBER
    limited: tuple[str, str] | None = None


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "/accord help", "List the subcommands you can use, with a one-line description.", ANYONE),
    Subcommand("setup", "/accord setup",
               "Set up (or edit) this channel's relationship: parties, calendar, cadences, ladder.", SETUP),
    Subcommand("join", "/accord join", "Join this channel's relationship as a person of your organisation.",
               JOINER),
    Subcommand("people", "/accord people", "List both parties' people by role."),
    Subcommand("role", "/accord role @person <ser|manager|member|observer>", "Set a role in your own party.",
               EDITOR),
    Subcommand("party", "/accord party add @person <party> [role]", "Put a person in a party (single workspace).",
               SINGLE_EDITOR),
    Subcommand("leave", "/accord leave [@successor]",
               "Leave the relationship; a party's last SER names who becomes SER."),
    Subcommand("remove", "/accord remove @person [@successor]",
               "Remove a person of your own party (SERs and managers).", EDITOR),
    Subcommand("status", "/accord status [public]", "The relationship at a glance; `public` posts it to the channel."),
    Subcommand("charter", "/accord charter [edit]",
               "The partnership charter: mission, shared values and behaviours; `edit` proposes a change.",
               limited=("/accord charter", "The partnership charter: mission, shared values and behaviours.")),
    Subcommand("objective", "/accord objective [edit N]", "Add or edit an objective: ours, yours or mine.",
               EDITOR),
    Subcommand("kpi", "/accord kpi [edit N]", "Add or edit a KPI with its target and RAG thresholds.",
               EDITOR),
    Subcommand("risk", "/accord risk [edit N]", "Add or edit a risk (likelihood × impact).", EDITOR),
    Subcommand("action", "/accord action [edit N | done N | cannot N]",
               "Add or edit an action, mark it done (the other party's people ask, the owner's party confirms), "
               "or say it cannot be completed.", ACTOR,
               limited=("/accord action done N | cannot N", "Mark an action of your party done, or say it cannot be "
                        "completed (the other party's people ask the owner's party to confirm it done).")),
    Subcommand("exit", "/accord exit [edit N | reviewed]", "Add or edit an exit trigger; record a strategy review.",
               EDITOR),
    Subcommand("checkin", "/accord checkin [settings]",
               "Answer the open check-in round; `settings` changes the statements, scale and window.", ACTOR,
               limited=("/accord checkin", "Answer the open check-in round.")),
    Subcommand("away", "/accord away until YYYY-MM-DD | off",
               "Be away: no check-in prompts until then, and missed rounds do not count against participation."),
    Subcommand("dispute", "/accord dispute",
               "Raise a dispute (also: the message shortcut \"Raise as dispute\", or `@accord dispute` in a thread).",
               ACTOR),
    Subcommand("disputes", "/accord disputes", "The open disputes with their level and the time left."),
    Subcommand("review", "/accord review now | expectations [N] | lesson [N]",
               "Hold a review of the time since the last one now (SERs and managers); it is also held on the cadence. "
               "`expectations` states how far your party's were met in review N (the latest); `lesson` records a "
               "lesson in it.", EDITOR),
    Subcommand("reviews", "/accord reviews [N]", "The past reviews and their sign-off; `N` shows review #N."),
    Subcommand("value", "/accord value", "Record a cost or a benefit of either party for the next review.",
               ACTOR),
    Subcommand("win", "/accord win <text>",
               "Record a win of your party: posted to the channel and counted in the next review.", ACTOR),
    Subcommand("idea", "/accord idea <text>",
               "Log an idea or improvement (also: the message shortcut \"Log as improvement\"): the other party "
               "agrees it, its owner delivers it, each party states its own benefit; counted in reviews.", ACTOR),
    Subcommand("ideas", "/accord ideas", "The improvement log: every idea, its status and owner."),
    Subcommand("sla", "/accord sla [edit N | remove N]",
               "Add a service level your party promises (the other party's, or a change, waits for their "
               "approval); a missed one is posted and counted in reviews.", EDITOR),
    Subcommand("commit", "/accord commit <people|budget|systems|other> <quantity> – <description>",
               "Record a resource your party commits (no text: the form).", EDITOR),
    Subcommand("commitments", "/accord commitments",
               "Both parties' resource commitments; SERs and managers mark one not honoured, with a reason."),
    Subcommand("history", "/accord history", "The latest changes to the plan, with who made them."),
    Subcommand("report", "/accord report",
               "The audit report for an ISO 44001 auditor, sent to you as one HTML file to open in a browser (also: "
               "the *Audit report* button on App Home and on each review)."),
    Subcommand(
        "remind",
        "/accord remind <when> <text>",
        "Post a reminder to this channel later: `tomorrow at 9`, `on 2027-01-05 at 14:00`, `in 3d` or "
        "`next monday`, in your own timezone.",
        ANYONE,
    ),
)


@dataclass(frozen=True)
class HelpResult:
    """What the help says; `unknown` and `suggestion` are set when a subcommand was mistyped; `slash`: written as
    `/accord …` (False: as `@accord …` mentions, for people whose workspace has no `/accord`)."""

    subcommands: tuple[Subcommand, ...]
    unknown: str | None = None
    suggestion: str | None = None
    slash: bool = True

    @property
    def prefix(self) -> str:
        """How the reader calls Accord: `/accord` or `@accord`."""
        return "/accord" if self.slash else "@accord"

    def usage(self, sub: Subcommand) -> str:
        """`sub`'s usage as the reader types it."""
        return sub.usage.replace("/accord", self.prefix, 1)


def subcommand_names() -> list[str]:
    """The names `/accord` understands."""
    return [sub.name for sub in SUBCOMMANDS]


def may_use(sub: Subcommand, reader: Standing) -> bool:
    """Whether the reader may use (some of) `sub`."""
    role = reader.role
    rules = {
        ANYONE: True,
        SETUP: not reader.relationship or role in EDITORS,
        JOINER: reader.can_join,
        MEMBER: role is not None,
        ACTOR: role in ACTORS,
        EDITOR: role in EDITORS,
        SINGLE_EDITOR: role in EDITORS and not reader.connect,
    }
    return rules[sub.who]


def usable(reader: Standing) -> tuple[Subcommand, ...]:
    """The subcommands the reader may use, each as much of it as they may (a member's `action` marks done)."""
    subs = [sub for sub in SUBCOMMANDS if may_use(sub, reader)]
    return tuple(replace(sub, usage=sub.limited[0], summary=sub.limited[1])
                 if sub.limited and reader.role not in EDITORS else sub for sub in subs)


def get_help(*, unknown: str | None = None, reader: Standing | None = None, slash: bool = True) -> HelpResult:
    """The help (for a reader: what they may use); for a mistyped subcommand, also the closest one they may use."""
    subcommands = SUBCOMMANDS if reader is None else usable(reader)
    if unknown is None:
        return HelpResult(subcommands, slash=slash)
    names = [sub.name for sub in subcommands]
    matches = difflib.get_close_matches(unknown.lower(), names, n=1, cutoff=0.6)
    return HelpResult(subcommands, unknown=unknown, suggestion=matches[0] if matches else None, slash=slash)
