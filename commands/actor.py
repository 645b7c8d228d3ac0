"""Who acts: a Slack user, the organisation they belong to, and where they acted."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The person behind a request, identified by their own (home) team, never the channel's."""

    user_id: str
    team_id: str
    channel_id: str | None = None
