"""Every line through Accord's log handler has token-shaped strings and the configured secrets masked,
even a line someone logs by mistake; the libraries that print payloads stay quiet at DEBUG."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import logging
from bot.settings import configure_logging, load_settings
settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-111-222-abcdef", "SLACK_SIGNING_SECRET": "s3cret-signing-value",
                          "DATABASE_URL": "postgresql://accord:hunter2-db-pass@db:5432/accord", "LOG_LEVEL": "DEBUG"})
configure_logging(settings)
log = logging.getLogger("bot.anything")
log.debug("debug is on")
log.error("oops %s then %s, app token xapp-1-A0-xyz, db pass hunter2-db-pass", settings.bot_token,
          "s3cret-signing-value")
logging.getLogger("slack_sdk.web.base_client").debug("Sending a request - body_params: {'comment': 'private'}")
logging.getLogger("sqlalchemy.engine.Engine").info("INSERT INTO checkin_answer ... ('private',)")
"""


def test_secrets_are_masked_and_payload_loggers_are_quiet_at_debug() -> None:
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "debug is on" in run.stderr
    assert "oops xox?-(redacted) then (redacted), app token xox?-(redacted), db pass (redacted)" in run.stderr
    for secret in ("xoxb-111", "s3cret-signing-value", "xapp-1", "hunter2", "private"):
        assert secret not in run.stderr, secret
