"""`accord console` with piped input: it keeps its database between runs (`--fresh` starts anew), shows times in
the relationship's timezone, turns `@bob` into a mention as Slack does, has a third organisation's person whom
Accord refuses politely, and prints Slack's markup rendered."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.accord_cli import run_accord

# the console's runs share one folder, in order: one xdist worker runs them
pytestmark = pytest.mark.xdist_group("real-processes")

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SETUP = [  # as Alice: the form, field by field; the channel's timezone New York, the rest as shown
    "/accord setup", "Northwind–Southwind trial", "Northwind Logistics", "Southwind Foods", "", "America/New_York",
    *[""] * 14,  # the currency (GBP) among them
]
FIRST = [
    "help",
    *SETUP,
    "as bob",
    "buttons",
    "click Join",
    "/accord role @bob ser",  # typed as in Slack: @bob becomes <@U0BOB>
    "@accord role @zed ser",
    "@accord status",
    "/accord kpi",  # Bob is a Southwind SER: the form opens; a red above the target first
    "On time", "%", "1", "95", "99", "2", "2", "",  # owned by Southwind: Bob's party adds it alone
    "85",  # asked again for the refused field only
    "as dave",  # of Eastwind, a third organisation in the channel
    "click Join",
    "@accord status",
    "as nobody",
    "click 99",
    "tick +14d",
    "time",
    "as carol",
    "quit",
]


def _console(folder: Path, lines: list[str], *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    run: subprocess.CompletedProcess[str] = run_accord(
        ["--env-file", "/nonexistent", "console", "--dir", "c", *args], env=env, cwd=folder,
        stdin="\n".join(lines) + "\n")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    return ANSI.sub("", run.stdout)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The console three times in one folder: set up and used; started again; started with `--fresh`."""
    folder = tmp_path_factory.mktemp("console")
    first = _console(folder, FIRST)
    state = json.loads((folder / "c" / "console.json").read_text(encoding="utf-8"))
    again = _console(folder, ["@accord status", "time", "as bob", "@accord status", "quit"])
    fresh = _console(folder, ["/accord status", "time", "quit"], "--fresh")
    return {"first": first, "again": again, "fresh": fresh, "me": state["me"]}


def test_the_console_takes_piped_input(runs: dict[str, str]) -> None:
    out = runs["first"]
    assert "tick <+3d | +4h | +30m" in out  # help
    assert "alice@northwind: fills the form “Set up Accord”: name=Northwind–Southwind trial" in out
    assert "Accord: 🤝 Northwind–Southwind trial is now run with Accord" in out
    assert "You are bob@southwind." in out and re.search(r"\d+\. \[Join\]", out)
    assert "Accord (only bob@southwind sees): You joined Southwind Foods as a manager." in out
    assert "Accord (only bob@southwind sees): NORTHWIND–SOUTHWIND TRIAL" in out
    assert "Accord (in bob@southwind's form): red: " in out
    assert "Accord (only bob@southwind sees): Saved KPI #1: On time" in out
    assert "Time for check-in round 1 of Northwind–Southwind trial" in out  # the clock moved on
    assert "! nobody is called nobody" in out and "! no button 99" in out


def test_at_name_becomes_a_mention_as_in_slack(runs: dict[str, str]) -> None:
    out = runs["first"]
    assert "bob@southwind: /accord role @bob ser" in out
    assert "Accord (only bob@southwind sees): @bob is now an SER." in out  # the app got <@U0BOB>
    assert "! nobody in the channel is called @zed; try @alice, @erin, @hank, @bob, @carol, @joe, @dana, @dave" in out


def test_times_are_the_relationships(runs: dict[str, str]) -> None:
    out = runs["first"]
    # set up at 10:30 London, 05:30 in New York, the relationship's timezone: the transcript and the clock say so
    assert "━━ Mon 04 Jan 2027 ━" in out and "05:30 bob@southwind: clicks [Join]" in out
    assert "It is now Mon 18 Jan 2027 05:30 America/New_York (the relationship's timezone)." in out
    assert "It is Mon 18 Jan 2027 05:30 America/New_York (the relationship's timezone)." in out
    assert " UTC." not in out
    # before any relationship: the demo world's timezone, and it says so
    assert "It is Mon 04 Jan 2027 10:30 Europe/London (the demo's timezone: no relationship yet)." in runs["fresh"]


def test_a_third_organisations_person_is_refused_politely(runs: dict[str, str]) -> None:
    out = runs["first"]
    assert "You are dave@eastwind." in out
    for what in (r"clicks \[Join\]", "@accord status"):  # told, only him, why not: his organisation is neither party
        told = re.search(rf"dave@eastwind: {what}\n05:30 Accord \(only dave@eastwind sees\): (.*)", out)
        assert told and "organisation" in told[1] and "joined" not in told[1], what


def test_the_console_prints_no_raw_markup(runs: dict[str, str]) -> None:
    for out in runs.values():
        assert not re.search(r"<[@#!][A-Z0-9]|:[a-z][a-z0-9_+-]*:|\*Northwind|\*Southwind", out), out


def test_the_database_is_kept_between_runs_unless_fresh(runs: dict[str, str]) -> None:
    again = runs["again"]
    assert "Carrying on with “Northwind–Southwind trial”" in again
    # the clock and the person carried over too: Carol, a fortnight on
    assert runs["me"] == "carol@southwind" and "carol@southwind> " in again
    assert "It is Mon 18 Jan 2027 05:30 America/New_York (the relationship's timezone)." in again
    assert re.search(r"Accord \(only carol@southwind sees\): .*Northwind–Southwind trial", again)  # not joined yet
    bob = again.split("You are bob@southwind.")[1]  # Bob's status: the relationship with the KPI he added
    assert "Accord (only bob@southwind sees): NORTHWIND–SOUTHWIND TRIAL" in bob and "On time" in bob
    fresh = runs["fresh"]
    assert "Carrying on" not in fresh and "alice@northwind> " in fresh
    assert "This channel has no Accord relationship yet" in fresh
