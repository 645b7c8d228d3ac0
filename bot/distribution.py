"""OAuth distribution: installs in each organisation's workspace, kept in Accord's database by slack_sdk's stores.

`accord serve` serves GET /slack/install (a redirect to Slack's authorize page, with a signed, single-use state
tied to the browser by a cookie) and GET /slack/oauth_redirect (oauth.v2.access, then the installation is
saved). Requests are authorised from the stored installation of their team or enterprise, with no Slack call on
the request path; app_uninstalled and tokens_revoked remove that organisation's installation.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.context import BoltContext
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import desc, select
from sqlalchemy.engine import Engine

from bot.settings import Settings
from storage import slack_oauth

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install started must be finished within ten minutes


class InstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store on Accord's tables, where a revoked bot token takes its organisation's installation along.

    bolt's tokens_revoked listener deletes only the bot rows for a revoked bot token; the installation rows keep a
    copy of that token, so they go too: an organisation whose bot token is revoked is no longer installed.
    """

    def __init__(self, client_id: str, engine: Engine) -> None:
        super().__init__(client_id=client_id, engine=engine, bots_table_name=slack_oauth.BOTS,
                         installations_table_name=slack_oauth.INSTALLATIONS, logger=log)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete the bot token and the installation that carries it."""
        super().delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        super().delete_installation(enterprise_id=enterprise_id, team_id=team_id)
        log.info("installation removed: enterprise %s, team %s", enterprise_id, team_id)

    def latest_bot(self, team_id: str | None = None) -> Bot | None:
        """The latest bot installed in workspace `team_id` whichever enterprise it belongs to (outgoing posts know
        only the team), or with no team given the latest bot installed anywhere."""
        c = self.bots.c
        query = select(self.bots).where(c.client_id == self.client_id, c.bot_token.is_not(None))
        if team_id is not None:
            query = query.where(c.team_id == team_id)
        with self.engine.connect() as connection:
            row = connection.execute(query.order_by(desc(c.installed_at)).limit(1)).mappings().first()
        return self.build_bot_entity(row) if row is not None else None


class SignedStateStore(OAuthStateStore):
    """slack_sdk's database state store, with each state signed by SLACK_STATE_SECRET.

    The state handed to Slack is `<stored state>.<HMAC-SHA256>`: one not signed with this deployment's secret is
    refused before the database is asked, and a signed one is still single-use and expires (the store's rows).
    """

    def __init__(self, secret: str, engine: Engine, *, expiration_seconds: int = STATE_SECONDS) -> None:
        self._key = secret.encode()
        self._store = SQLAlchemyOAuthStateStore(expiration_seconds=expiration_seconds, engine=engine, logger=log,
                                                table_name=slack_oauth.OAUTH_STATES)

    @property
    def logger(self) -> logging.Logger:
        """The store's logger."""
        return log

    def _sign(self, state: str) -> str:
        return hmac.new(self._key, state.encode(), hashlib.sha256).hexdigest()

    def issue(self, *args: object, **kwargs: object) -> str:
        """A new state, stored and signed."""
        state = self._store.issue()
        return f"{state}.{self._sign(state)}"

    def consume(self, state: str) -> bool:
        """True once for a state this deployment issued and signed, within its lifetime."""
        stored, _, signature = (state or "").rpartition(".")
        if not stored or not hmac.compare_digest(signature, self._sign(stored)):
            log.warning("OAuth redirect with a state not signed by this deployment: refused")
            return False
        return self._store.consume(stored)


class StoredInstallationAuthorize(Authorize):
    """bolt's authorize from the stored bot of the request's team or enterprise, without auth.test.

    bolt's own InstallationStoreAuthorize calls auth.test on every request; Accord answers each request from its
    database alone, so a Slack outage cannot fail an acknowledgement. None (no installation) makes bolt answer
    with its "please reinstall" message.
    """

    def __init__(self, store: InstallationStore) -> None:
        super().__init__()
        self.store = store

    def __call__(
        self, *, context: BoltContext, enterprise_id: str | None, team_id: str | None, user_id: str | None,
        actor_enterprise_id: str | None = None, actor_team_id: str | None = None, actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                  is_enterprise_install=context.is_enterprise_install)
        if bot is None:
            log.warning("no installation for enterprise %s, team %s: request not authorised", enterprise_id, team_id)
            return None
        return AuthorizeResult(enterprise_id=bot.enterprise_id, team_id=bot.team_id or team_id,
                               bot_token=bot.bot_token, bot_id=bot.bot_id, bot_user_id=bot.bot_user_id,
                               bot_scopes=bot.bot_scopes, user_id=user_id)


@dataclass(frozen=True)
class Distribution:
    """What create_app hands to bolt in distribution mode."""

    installations: InstallationStore
    oauth_settings: OAuthSettings
    authorize: StoredInstallationAuthorize


def distribution(settings: Settings, engine: Engine) -> Distribution:
    """The stores, the OAuth settings and the authorize of a distributed Accord on `engine`."""
    if not (settings.client_id and settings.client_secret and settings.state_secret):
        raise ValueError("OAuth distribution needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET")
    installations = InstallationStore(settings.client_id, engine)
    oauth_settings = OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(settings.scopes),
        user_scopes=[],
        redirect_uri=settings.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,  # /slack/install redirects straight to Slack's authorize page
        installation_store=installations,
        state_store=SignedStateStore(settings.state_secret, engine),
        state_expiration_seconds=STATE_SECONDS,
        logger=logging.getLogger("accord.bolt.oauth"),
    )
    return Distribution(installations, oauth_settings, StoredInstallationAuthorize(installations))
