"""Who acts: a Slack user, the organisation they belong to, and where they acted."""

from __future__ import annotations

from dataclasses import dataclass, field


def is_enterprise(org_id: str | None) -> bool:
    """Whether a Slack organisation id is an Enterprise Grid org (E…) rather than a workspace (T…)."""
    return bool(org_id) and str(org_id).startswith("E")


@dataclass(frozen=True)
class Actor:
    """The person behind a request, identified by their own (home) team, never the channel's.

    `team_id` is their workspace (T…), or their Enterprise Grid org (E…) when Slack gives no workspace (as an
    app_mention's `user_team` may); `enterprise_id` is their Grid org when the payload says which it is.
    `channel_id` is the relationship's channel; answers go where the person acted: `reply_channel` (a DM they
    clicked in) and `thread_ts` (the thread they mentioned Accord or clicked in); `on_home` when they clicked on
    their App Home (which is then drawn again, so that what they did leaves their to-do list). `name` is their
    Slack name as the payload gives it (a slash command's `user_name`, a click's `user.name`), so that what they do
    reads with a name before Slack's users.info has answered."""

    user_id: str
    team_id: str
    channel_id: str | None = None
    enterprise_id: str | None = None
    thread_ts: str | None = None
    reply_channel: str | None = None
    on_home: bool = False
    name: str | None = field(default=None, compare=False)  # who they are does not depend on it

    @property
    def organisation_ids(self) -> frozenset[str]:
        """Every id naming the actor's organisation: their workspace and, on Enterprise Grid, their org."""
        return frozenset(i for i in (self.team_id, self.enterprise_id) if i)
