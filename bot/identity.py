"""Who the bot is in Slack, learnt with auth.test off the request path."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


@dataclass
class BotIdentity:
    """The bot token and, once auth.test has answered, the bot's user and bot ids, its workspace and (on
    Enterprise Grid) its org."""

    token: str | None
    user_id: str | None = None
    bot_id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    _learnt: threading.Event = field(default_factory=threading.Event)

    def learn(self, client: WebClient) -> bool:
        """Ask auth.test once; False (and a log line) when Slack does not answer."""
        try:
            response = client.auth_test(token=self.token)
        except (SlackApiError, OSError) as exc:
            log.warning("auth.test did not answer (%s); will try again", type(exc).__name__)
            return False
        self.user_id, self.bot_id, self.team_id = response.get("user_id"), response.get("bot_id"), response["team_id"]
        self.enterprise_id = response.get("enterprise_id") or None
        self._learnt.set()
        return True

    def learn_in_background(self, client: WebClient, *, every: float = 30.0) -> threading.Thread:
        """Keep asking until Slack answers, without holding up startup."""

        def loop() -> None:
            while not self.learn(client) and not self._learnt.wait(every):
                pass

        thread = threading.Thread(target=loop, name="accord-identity", daemon=True)
        thread.start()
        return thread

    def authorizer(self) -> Callable[..., AuthorizeResult]:
        """bolt's authorize: the single workspace's bot token, with no Slack call on the request path."""

        def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            return AuthorizeResult(
                enterprise_id=enterprise_id, team_id=team_id, bot_token=self.token,
                bot_user_id=self.user_id, bot_id=self.bot_id,
            )

        return authorize
