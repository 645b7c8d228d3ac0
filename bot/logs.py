"""Log hygiene: no token, secret, Slack payload or SQL parameter reaches a log, even at DEBUG.

Slack payloads carry what people typed (check-in comments and ratings, dispute texts) and SQL
parameters carry the same; the libraries that would print them are held at INFO or above, and
every line through Accord's handler has token-shaped strings and the configured secrets masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# loggers that print request and response bodies or SQL parameters at DEBUG (or INFO for SQL)
CONTENT_LOGGERS = {
    "slack_sdk": logging.INFO, "slack_bolt": logging.INFO, "accord.bolt": logging.INFO,
    "sqlalchemy.engine": logging.WARNING, "sqlalchemy.pool": logging.WARNING,
}
TOKEN = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")


def keep_content_out_of_logs() -> None:
    """Hold the libraries that print payloads or SQL parameters above DEBUG."""
    for name, level in CONTENT_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < level:
            logger.setLevel(level)


class Redact(logging.Filter):
    """Masks token-shaped strings and the given secret values in each formatted line."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with the secrets masked (always keeps the record)."""
        message = record.getMessage()
        clean = TOKEN.sub("xox?-(redacted)", message)
        for secret in self.secrets:
            clean = clean.replace(secret, "(redacted)")
        if clean != message:
            record.msg, record.args = clean, None
        return True
