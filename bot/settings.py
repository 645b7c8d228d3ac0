"""Settings from the environment and `.env`: one frozen object, validated once."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

from dotenv import dotenv_values

from storage.engine import DatabaseUrlError, normalise_url

DEFAULT_API_URL = "https://slack.com/api/"
N = TypeVar("N", int, float)
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


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

    return Settings(
        bot_token=_prefixed(get("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN", "xoxb-"),
        signing_secret=get("SLACK_SIGNING_SECRET"),
        app_token=_prefixed(get("SLACK_APP_TOKEN"), "SLACK_APP_TOKEN", "xapp-"),
        api_url=_api_url(get("SLACK_API_URL") or DEFAULT_API_URL),
        database_url=_database_url(get("DATABASE_URL") or "sqlite:///./accord.db"),
        port=_number(get("PORT") or "3000", "PORT", int, 1, 65535),
        log_level=_log_level(get("LOG_LEVEL") or "INFO"),
        tick_seconds=_number(get("ACCORD_TICK_SECONDS") or "30", "ACCORD_TICK_SECONDS", float, 0.05, 86400),
    )


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


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.log_level != "DEBUG":
        # quiet the libraries' routine lines: alembic's per plugin, apscheduler's per tick
        for name in ("alembic", "apscheduler.executors", "apscheduler.scheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)
