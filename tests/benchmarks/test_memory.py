"""Issue 9, point 3: the resident memory of an idle `accord serve`.

The real CLI is started (HTTP, scheduler on, migrations applied at start, the fake Slack as its Slack) on
SQLite and on PostgreSQL; once /healthz answers, it is left alone for SETTLE seconds and its VmRSS read
from /proc/<pid>/status (VmHWM, the peak so far, is shown too). Target: <= 120 MB.

    pytest -n 0 -m benchmark -s tests/benchmarks/test_memory.py
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.fakeslack import FakeSlack
from tests.benchmarks import serving
from tests.harness import BOT_TOKEN, HOME

pytestmark = pytest.mark.benchmark

SETTLE = 5.0
TARGET_MB = 120.0


def test_idle_serve_memory(database_url: str, tmp_path: Path) -> None:
    with FakeSlack(bot_token=BOT_TOKEN, team_id=HOME, bot_user_id="UACCORD") as fake:
        env = serving.accord_env(database_url, fake.api_url)
        with serving.started("accord-idle", serving.accord_serve(), env, tmp_path) as accord:
            time.sleep(SETTLE)
            rss = accord.rss_mb()
            peak = serving._status_kb(accord.process.pid, "VmHWM") * 1024 / 1e6
            threads = serving._status_kb(accord.process.pid, "Threads")
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    print(f"\n\nidle `accord serve` ({kind}), {SETTLE:g} s after it answered /healthz")
    print(f"machine: {serving.machine(database_url)}")
    print(f"{'RSS MB':>7} {'peak MB':>8} {'threads':>8}")
    print(f"{rss:>7.1f} {peak:>8.1f} {threads:>8}")
    print(f"RSS / {TARGET_MB:.0f} MB = {rss / TARGET_MB:.2f}  (must be <= 1)")
    assert rss <= TARGET_MB, f"{rss:.1f} MB"
