"""Golden texts: every message type Accord sends, as each party reads it, from one realistic scenario.

The scenario (tests/golden/scenario.py) is played once per module on SQLite. Every message the fake Slack took
(channel posts and their updates, direct messages, messages only one person sees, files, modals opened) is
turned into plain text (the fallback text, then each block's text in order, buttons as [Label]), grouped by
message type (the outbox row's view name) and reader (`both` for the shared channel, `party1` for Northwind's
people on T0HOME, `party2` for Southwind's on T0PARTNER), and compared with tests/golden/texts/<type>--<reader>.txt.

`ACCORD_GOLDEN_UPDATE=1 python -m pytest -n 0 tests/golden` rewrites the files (and removes those no longer made).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.views.registry import FILES, VIEWS
from tests.databases import sqlite_clone
from tests.golden.collect import Delivery, deliveries, grouped
from tests.golden.scenario import play
from tests.harness import Harness

TEXTS = Path(__file__).parent / "texts"
UPDATE = os.environ.get("ACCORD_GOLDEN_UPDATE") == "1"
ALL_UP_TO = 6  # a type with at most this many different texts keeps them all; else the first and the last
KEEP_ALL = frozenset({"raw", "direct_ephemeral"})  # many messages under one name: every different text is kept

# Views the scenario cannot reach, and why. Keep this list short: extend the scenario instead.
UNREACHABLE = {
    # queued by no code any more: kept so that rows written by earlier versions still render
    "checkin_summary",  # an alias of checkin_details (bot/views/rounds.py)
    "mention_help",  # mentions are answered by listeners directly (view "raw")
}


@pytest.fixture(scope="module")
def played(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Delivery]]:
    """The scenario played once, on a copy of the session's SQLite template: what the fake Slack took."""
    folder = tmp_path_factory.mktemp("golden")
    with Harness.start(sqlite_clone(sqlite_template, folder / "accord.db"), workdir=folder) as harness:
        play(harness)
        yield deliveries(harness)


def golden_text(stem: str, found: list[Delivery]) -> str:
    """The golden file's content for one message type and reader."""
    texts: list[tuple[int, Delivery]] = []
    for number, delivery in enumerate(found, 1):
        if delivery.text not in {d.text for _, d in texts}:
            texts.append((number, delivery))
    kind = found[0].kind
    shown = texts if kind in KEEP_ALL or len(texts) <= ALL_UP_TO else [texts[0], texts[-1]]
    out = [f"# {stem}: {len(found)} sent, {len(texts)} different, {len(shown)} shown"]
    for number, delivery in shown:
        out += ["", f"===== {number} of {len(found)} ({delivery.how}) =====", delivery.text]
    return "\n".join(out) + "\n"


def test_every_message_reads_as_its_golden_text(played: list[Delivery]) -> None:
    """Each message type, as each party reads it, matches its golden file."""
    expected = {f"{stem}.txt": golden_text(stem, found) for stem, found in sorted(grouped(played).items())}
    if UPDATE:
        TEXTS.mkdir(exist_ok=True)
        for stale in set(p.name for p in TEXTS.glob("*.txt")) - set(expected):
            (TEXTS / stale).unlink()
        for name, text in expected.items():
            (TEXTS / name).write_text(text, encoding="utf-8")
        return
    problems: list[str] = []
    on_disk = {p.name for p in TEXTS.glob("*.txt")}
    for name, text in expected.items():
        path = TEXTS / name
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old != text:
            problems.append("".join(difflib.unified_diff(
                old.splitlines(keepends=True), text.splitlines(keepends=True),
                fromfile=f"tests/golden/texts/{name}" if path.exists() else "/dev/null",
                tofile=f"tests/golden/texts/{name} (now)")))
    problems += [f"tests/golden/texts/{name}: no such message any more" for name in sorted(on_disk - set(expected))]
    assert not problems, ("golden texts differ (ACCORD_GOLDEN_UPDATE=1 python -m pytest -n 0 tests/golden "
                          "rewrites them):\n" + "\n".join(problems))


def test_every_view_has_a_golden_file_or_is_listed_as_unreachable() -> None:
    """Each registered view (and file view) has a golden text for some reader, unless listed in UNREACHABLE."""
    covered = {path.name.split("--")[0] for path in TEXTS.glob("*--*.txt")}
    views = set(VIEWS) | set(FILES)
    assert sorted(views - covered - UNREACHABLE) == [], "views with no golden text: extend tests/golden/scenario.py"
    assert sorted(UNREACHABLE & covered) == [], "reached now: remove them from UNREACHABLE"
    assert views >= UNREACHABLE, "UNREACHABLE names views the registry no longer has"
