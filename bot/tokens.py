"""Which bot token each outgoing Slack call uses: SLACK_BOT_TOKEN's, or (OAuth) an organisation's installation.

A shared channel belongs to its relationship's organisations: a post there goes with the installation of the
relationship's first party that has one, else the other's. A direct message, a Home tab or a user lookup goes
with the installation of the person's own organisation when it has one, else as a channel post would.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.distribution import InstallationStore
from bot.outbox_calls import Permanent
from bot.settings import Settings
from storage.engine import reading
from storage.models import OutboxMessage
from storage.rmp import Party, Person, Relationship

log = logging.getLogger(__name__)

PERSONAL = frozenset({"dm", "views.publish", "users.info"})  # calls about one person: their own team first
CLIENTS_KEPT = 64


class NotInstalled(Permanent):
    """No organisation of the message's channel or person has Accord installed."""


class TokenSource(Protocol):
    """What the outbox sender asks before each call."""

    def client_for(self, row: OutboxMessage) -> WebClient:
        """The WebClient (with the right bot token) for delivering `row`."""
        ...


class SingleWorkspace:
    """One workspace: every call goes with SLACK_BOT_TOKEN."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def client_for(self, row: OutboxMessage) -> WebClient:
        """Always the one client."""
        return self.client


class Installations:
    """OAuth distribution: the token of the installation that owns the row's channel or person."""

    def __init__(self, engine: Engine, store: InstallationStore, make_client: Callable[[str], WebClient]) -> None:
        self.engine, self.store, self.make_client = engine, store, make_client
        self._clients: OrderedDict[str, WebClient] = OrderedDict()
        self._lock = threading.Lock()

    def client_for(self, row: OutboxMessage) -> WebClient:
        """A cached WebClient for the token `row` is sent with; NotInstalled when there is none."""
        token = self.token_for(row)
        with self._lock:
            client = self._clients.pop(token, None) or self.make_client(token)
            self._clients[token] = client  # most recently used last
            while len(self._clients) > CLIENTS_KEPT:
                self._clients.popitem(last=False)
        return client

    def token_for(self, row: OutboxMessage) -> str:
        """The bot token of the first organisation of `teams_for(row)` that has Accord installed."""
        teams = self.teams_for(row)
        for team in teams:
            bot = self.store.latest_bot(team)
            if bot is not None and bot.bot_token:
                return bot.bot_token
        if not teams:  # a channel with no relationship (or one workspace's), a person in none: the latest install
            bot = self.store.latest_bot()
            if bot is not None and bot.bot_token:
                log.debug("outbox %s: no organisation known; using the latest installation", row.idempotency_key)
                return bot.bot_token
        raise NotInstalled(f"Accord is not installed in any organisation of this message ({', '.join(teams) or '-'})")

    def teams_for(self, row: OutboxMessage) -> list[str]:
        """The teams whose installation may send `row`, in order of preference."""
        with reading(self.engine) as db:
            channel_teams: list[str] = []
            relationship = db.exec(select(Relationship).where(Relationship.channel_id == row.channel)).first() \
                if row.channel else None
            if relationship is not None:
                parties = db.exec(select(Party).where(Party.relationship_id == relationship.id)
                                  .order_by(col(Party.slot))).all()
                channel_teams = [party.team_id for party in parties if party.team_id]
            user_teams: list[str] = []
            if row.user:
                query = select(Party.team_id).join(Person, col(Person.party_id) == col(Party.id)).where(
                    Person.user_id == row.user, col(Party.team_id).is_not(None))
                user_teams = [team for team in db.exec(query).all() if team]
        ordered = [*user_teams, *channel_teams] if row.method in PERSONAL else [*channel_teams, *user_teams]
        return list(dict.fromkeys(ordered))


def token_source(settings: Settings, engine: Engine, client: WebClient) -> TokenSource:
    """SLACK_BOT_TOKEN's `client` for one workspace; with OAuth, a client like it per installation's token."""
    if not settings.distributed or not settings.client_id:
        return SingleWorkspace(client)

    def make_client(token: str) -> WebClient:
        return WebClient(token=token, base_url=client.base_url, timeout=client.timeout,
                         retry_handlers=list(client.retry_handlers or []))

    return Installations(engine, InstallationStore(settings.client_id, engine), make_client)
