"""Secret hygiene: at DEBUG, a whole scenario's logs (the app's, the libraries', and `accord tick`'s) hold no
token, no signing secret, and no check-in rating or comment. (tests/security/test_log_redaction.py checks the
logging a fresh `accord` process sets up.)"""

from __future__ import annotations

import logging

import pytest

from storage.utc import parse_instant
from tests.accord_cli import run_accord
from tests.harness import BOT_TOKEN, SIGNING_SECRET, Harness
from tests.scenarios.checkin_steps import answer
from tests.scenarios.review_steps import at, month_of_partnership

COMMENT = "zq-private-comment-7731"


def test_debug_logs_of_a_whole_scenario_hold_no_secret_and_no_answer(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    month_of_partnership(harness)  # setup, forms, two check-in rounds, a dispute, values
    # an answer with a comment, then an edit: the edit form carries the earlier answer back to Slack
    harness.tick(parse_instant("2027-01-25T09:30:00Z"))  # round 3 opens
    assert answer(harness, "UBOB", "2027-01-25T10:00:00Z", [1, 2, 1, 2, 1, 2], comment=COMMENT).text == ""
    assert answer(harness, "UBOB", "2027-01-25T10:30:00Z", [2, 2, 1, 2, 1, 2], comment=COMMENT).text == ""
    at(harness, "2027-01-25T11:00:00Z")
    assert "posted" in harness.driver.slash("UERIN", "C0SHARED", "review now").json()["text"]
    harness.sender.drain()
    env = {**harness.env(), "LOG_LEVEL": "DEBUG"}  # `accord tick`, configured as from the environment
    ticked = run_accord(["--env-file", "/nonexistent", "tick", "--as-of", "2027-01-28T10:00:00Z"], env=env,
                        wait_clock=harness.wait_clock)
    assert ticked.returncode == 0, ticked.stderr[-2000:]
    logs = caplog.text + ticked.stderr
    assert "DEBUG" in logs and len(logs) > 10_000  # DEBUG really was on, for the app and the libraries
    for secret in (BOT_TOKEN, SIGNING_SECRET, COMMENT, "xoxb-"):
        assert secret not in logs, secret
    for form_field in ("stmt_0", "stmt_5"):  # the check-in form's rating fields, with their values
        assert form_field not in logs, form_field
