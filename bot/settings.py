"""Settings from the environment and `.env`: one frozen object, validated once."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from dotenv import dotenv_values

from storage.engine import DatabaseUrlError, normalise_url

DEFAULT_API_URL = "https://slack.com/api/"
N = TypeVar("N", int, float)
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
# the bot scopes of manifest.yaml (tests/test_manifest.py keeps the two equal): what an OAuth install asks for
DEFAULT_SCOPES = ("app_mentions:read", "channels:history", "channels:read", "chat:write", "commands", "files:write",
                  "groups:history", "groups:read", "im:history", "im:write", "users:read")
OAUTH_TRIO = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")
MIN_STATE_SECRET = 16


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"setting {name} {problem}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    """Everything Accord reads from its environment."""

    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    api_url: str
    database_url: str
    port: int
    log_level: str
    tick_seconds: float
    # how long a message claimed by a sender stays its own: a replica that died mid-send is taken over after it
    outbox_lease_seconds: float = 300.0
    # Slack's tier for reading history: "marketplace" (Tier 3) for an app approved for the Marketplace or an
    # internal app; otherwise the strict tier of a distributed app (one call a minute, 15 messages)
    history_tier: str = "strict"
    # the posts a workspace takes a minute from Accord, every replica together (Slack: "several hundred")
    posts_per_minute: int = 600
    # OAuth distribution (installed in each organisation's workspace): all of client id, secret and state secret
    client_id: str | None = None
    client_secret: str | None = None
    state_secret: str | None = None
    redirect_uri: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    @property
    def distributed(self) -> bool:
        """True when installed through OAuth in many workspaces; False for one workspace's SLACK_BOT_TOKEN."""
        return self.client_id is not None

    def __repr__(self) -> str:  # never show secrets, even in a traceback
        return f"Settings(api_url={self.api_url!r}, port={self.port}, log_level={self.log_level!r})"


def read_environment(env_file: str | Path | None = ".env", environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment over the values of `env_file` (when it exists)."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


def load_settings(values: Mapping[str, str], *, require: tuple[str, ...] = ()) -> Settings:
    """Validate `values` into Settings; raises SettingsError naming the first bad setting."""
    def get(name: str) -> str | None:
        value = values.get(name, "").strip()
        if not value:
            if name in require:
                raise SettingsError(name, "is missing: set it in the environment or in .env")
            return None
        return value

    oauth = _oauth(values)
    if oauth:  # distributed: the bot tokens come from the installations, not from SLACK_BOT_TOKEN
        require = tuple(name for name in require if name != "SLACK_BOT_TOKEN")
    return Settings(
        bot_token=_prefixed(get("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN", "xoxb-"),
        signing_secret=get("SLACK_SIGNING_SECRET"),
        app_token=_prefixed(get("SLACK_APP_TOKEN"), "SLACK_APP_TOKEN", "xapp-"),
        api_url=_api_url(get("SLACK_API_URL") or DEFAULT_API_URL),
        database_url=_database_url(get("DATABASE_URL") or "sqlite:///./accord.db"),
        port=_number(get("PORT") or "3000", "PORT", int, 1, 65535),
        log_level=_log_level(get("LOG_LEVEL") or "INFO"),
        tick_seconds=_number(get("ACCORD_TICK_SECONDS") or "30", "ACCORD_TICK_SECONDS", float, 0.05, 86400),
        outbox_lease_seconds=_number(get("ACCORD_OUTBOX_LEASE_SECONDS") or "300", "ACCORD_OUTBOX_LEASE_SECONDS",
                                     float, 1, 86400),
        history_tier=_history_tier(get("ACCORD_SLACK_HISTORY_TIER") or "strict"),
        posts_per_minute=_number(get("ACCORD_SLACK_POSTS_PER_MINUTE") or "600", "ACCORD_SLACK_POSTS_PER_MINUTE",
                                 int, 1, 100000),
        **oauth,
    )


def _history_tier(value: str) -> str:
    tier = value.strip().lower()
    if tier not in ("strict", "marketplace"):
        raise SettingsError("ACCORD_SLACK_HISTORY_TIER", "must be strict or marketplace")
    return tier


def _prefixed(value: str | None, name: str, prefix: str) -> str | None:
    if value is not None and not value.startswith(prefix):
        raise SettingsError(name, f"is malformed: it should start with {prefix!r}")
    return value


def _api_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError("SLACK_API_URL", f"is malformed: expected an http(s) URL, got {value!r}")
    return value if value.endswith("/") else value + "/"


def _database_url(value: str) -> str:
    try:
        return normalise_url(value)
    except DatabaseUrlError as exc:
        raise SettingsError("DATABASE_URL", f"is malformed: {exc}") from None


def _number(value: str, name: str, kind: type[N], low: float, high: float) -> N:
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise SettingsError(name, f"is malformed: expected a number from {low:g} to {high:g}, got {value!r}")
    return number


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS:
        raise SettingsError("LOG_LEVEL", f"is malformed: expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _oauth(values: Mapping[str, str]) -> dict[str, Any]:
    """The OAuth distribution settings: none of SLACK_CLIENT_ID, _SECRET and SLACK_STATE_SECRET, or all three."""
    given = {name: values.get(name, "").strip() for name in (*OAUTH_TRIO, "SLACK_REDIRECT_URI", "SLACK_SCOPES")}
    if not any(given[name] for name in OAUTH_TRIO):
        return {}
    for name in OAUTH_TRIO:
        if not given[name]:
            raise SettingsError(name, "is missing: OAuth distribution needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET "
                                      "and SLACK_STATE_SECRET together (or none of them, with SLACK_BOT_TOKEN)")
    if values.get("SLACK_BOT_TOKEN", "").strip():
        raise SettingsError("SLACK_BOT_TOKEN", "is set together with SLACK_CLIENT_ID: unset it to distribute the app "
                                               "with OAuth, or unset the SLACK_CLIENT_* settings for one workspace")
    if len(given["SLACK_STATE_SECRET"]) < MIN_STATE_SECRET:
        raise SettingsError("SLACK_STATE_SECRET", f"is malformed: use at least {MIN_STATE_SECRET} random characters")
    redirect = given["SLACK_REDIRECT_URI"] or None
    if redirect is not None:
        parsed = urlparse(redirect)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or \
                not parsed.path.endswith("/slack/oauth_redirect"):
            raise SettingsError("SLACK_REDIRECT_URI", "is malformed: expected an http(s) URL ending in "
                                                      f"/slack/oauth_redirect, got {redirect!r}")
    scopes = tuple(scope.strip() for scope in given["SLACK_SCOPES"].split(",") if scope.strip())
    return {"client_id": given["SLACK_CLIENT_ID"], "client_secret": given["SLACK_CLIENT_SECRET"],
            "state_secret": given["SLACK_STATE_SECRET"], "redirect_uri": redirect, "scopes": scopes or DEFAULT_SCOPES}


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level, with secrets masked and no payload or SQL parameter."""
    from bot.logs import Redact, keep_content_out_of_logs

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from sqlalchemy.engine import make_url

    secrets = [value for name, value in vars(settings).items() if isinstance(value, str) and any(
        word in name for word in ("token", "secret", "password"))]
    with contextlib.suppress(Exception):  # a URL SQLAlchemy cannot read holds no password it would use
        secrets.append(make_url(settings.database_url).password or "")
    redact = Redact(secrets)
    for handler in logging.getLogger().handlers:  # configured again (a command run twice in one program): replaced
        for earlier in [f for f in handler.filters if isinstance(f, Redact)]:
            handler.removeFilter(earlier)
        handler.addFilter(redact)
    keep_content_out_of_logs()
    if settings.log_level != "DEBUG":
        # quiet the libraries' routine lines: alembic's per plugin, apscheduler's per tick
        for name in ("alembic", "apscheduler.executors", "apscheduler.scheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)
