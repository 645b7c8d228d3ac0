"""`accord demo` plays a quarter offline and leaves a transcript, a chart and a plan that reloads;
`accord console` takes piped input."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.accord_cli import run_accord
from tests.harness import accord_command

# real `accord` processes, several at once: one xdist worker runs these files one test after another
pytestmark = pytest.mark.xdist_group("real-processes")


def _environment(env: dict[str, str] | None) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}, **(env or {})}


def _accord(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script in a process of its own."""
    return subprocess.run([*accord_command(), "--env-file", "/nonexistent", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False, env=_environment(env))


def _accord_here(*args: str, cwd: Path, stdin: str | None = None,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The same command in this process."""
    return run_accord(["--env-file", "/nonexistent", *args], env=_environment(env), cwd=cwd, stdin=stdin)


STAGES = [
    # setup through the real modal, people of both organisations joining, roles by mention for Southwind
    "alice@northwind: fills the form “Set up Accord”",
    "Accord: :handshake: *Northwind–Southwind cold chain* is now run with Accord",
    "Accord (only bob@southwind sees): You joined *Southwind Foods* as Manager.",
    "bob@southwind: @accord role @bob ser",
    # a shared setting proposed by one party and approved by the other with the button (the proposal edited)
    "@alice (Northwind Logistics) proposes to change the check-in settings:\n      • *gap flagged at*: 1 → 0.75",
    "bob@southwind: clicks [Approve (Southwind Foods)]",
    "Accord ✎ updated “Proposal #1” (posted 10:30): *:white_check_mark: Approved by @bob (Southwind Foods): in effect*",
    # the round's one message in the channel, posted when the first person is asked: its window and counts
    "08:30 Accord: :clipboard: *Check-in round 1* of *Northwind–Southwind cold chain*: open Tue 19 Jan 09:30 to "
    "Fri 22 Jan 15:30 (Europe/London).\n      *Answered so far*: Northwind Logistics 0 of 3 · Southwind Foods 0 of 4",
    # prompts at 09:30 in each person's own timezone (Paris 08:30 London, New York 14:30, Chicago 15:30): a DM,
    # or for Southwind's people, whom Accord cannot DM, a message only they see in the channel
    "08:30 Accord → DM hank@northwind: Time for check-in round 1",
    "14:30 Accord (only bob@southwind sees): Time for check-in round 1",
    "15:30 Accord (only carol@southwind sees): Time for check-in round 1",
    "sends the form “Check-in round 1” (answers stay private)",
    # the round's message updated in place as people answer, and as one skips
    "09:10 Accord ✎ updated “Check-in round 1 of Northwind–Southwind cold chain” (posted 08:30): *Answered so far*: "
    "Northwind Logistics 1 of 3 · Southwind Foods 0 of 4",
    "dana@southwind: clicks [Skip this round]",
    "*Answered so far*: Northwind Logistics 3 of 3 · Southwind Foods 2 of 3, 1 skipped",
    # at the close the same message becomes the summary, with the KPIs and changes in its thread
    "15:30 Accord ✎ updated “Check-in round 1 of Northwind–Southwind cold chain” (posted Tue 19 Jan 08:30)\n"
    "      :clipboard: *Check-in round 1* of *Northwind–Southwind cold chain*: closed Fri 22 Jan 15:30.\n"
    "      *Participation*: Northwind Logistics 3 of 3 · Southwind Foods 4 of 4\n"
    "      *Behaviours and trust* (means out of 5: Northwind Logistics / Southwind Foods)\n"
    "      Communication is open and timely: 4.00 / 3.00 :warning: *gap 1.00*",
    "15:30       ↳ Accord: *KPIs*\n         :large_orange_circle: *#1 Deliveries at temperature*: 97 %",
    "*Participation*: Northwind Logistics 3 of 3 · Southwind Foods 3 of 3, 1 skipped",
    "I trust the partner to act in our joint interest: 4.00 / 2.00 :warning: *gap 2.00*",
    # comments: to the commenter's own SERs and managers (their prompt DMs edited at the close, or the summary's
    # button for those Accord cannot DM), and a shared one in the round's thread
    "15:30 Accord ✎ updated DM to alice@northwind “Time for check-in round 2 of Northwind–Southwind cold chain” "
    "(posted Tue 16 Feb 09:30)\n"
    "      Check-in round 2 of Northwind–Southwind cold chain has closed; its summary is in the channel.\n"
    "      *Northwind Logistics' comments in round 2 (without names; only your SERs and managers see these)*\n"
    "      • Southwind's dock turns our trucks away after 16:00",
    "↳ Accord: *Comments Southwind Foods shared with Northwind Logistics (round 2, without names)*\n"
    "         • Two loads sat warm at the dock this month.",
    "carol@southwind: clicks [Comments for my organisation]\n"
    "21:00 Accord (only carol@southwind sees): *Southwind Foods' comments in round 2",
    # the dispute raised from a thread, its warning, escalation on the timer and agreed resolution
    "↳ carol@southwind: @accord dispute",
    "75% of the time at L1 Working level has gone",
    "Escalated to L2 Relationship managers: the time at the level ran out. @erin @carol",
    "@carol (Southwind Foods) accepted. Resolved: Credit for the three loads",
    "Dispute #1 *Warm deliveries* is resolved at L2 Relationship managers.",
    # the action that cannot be completed, told to the partner's managers
    # (at 11:00 in London; Bob in New York is told when his working hours start, 08:30 there)
    ":warning: Partner managers: @hank (Northwind Logistics) cannot complete action *#2*",
    "13:30       ↳ Accord: @bob action #2 (Install data loggers in 12 trucks) cannot be completed: see above.",
    # the quarterly review with its recommendations, wins, chart and both signatures
    "Accord: REVIEW #1: NORTHWIND–SOUTHWIND COLD CHAIN",
    "*Recommendations* (3)",
    "_because KPI #1 Deliveries at temperature fell 97 → 93 → 88 %; it is past red (90 %)_",
    "_because a perception gap of 1.67 on “I trust the partner to act in our joint interest”",
    "• Dispute #1 “Warm deliveries” resolved at L2 Relationship managers",
    "📎 shares “Review #1 chart: Northwind–Southwind cold chain” (accord-review-1.png",
    "*Northwind Logistics*: signed off by @alice on 01 Apr 2027 15:00",
    "*Southwind Foods*: signed off by @bob on 01 Apr 2027 17:30\n      *Signed off by both parties.*",
]
PEOPLE = ("alice", "erin", "hank", "bob", "carol", "joe", "dana")
ROUND_MESSAGE = re.compile(r"^\d\d:\d\d Accord(?:: :clipboard: \*| ✎ updated “)Check-in round (\d)")


def _messages(transcript: str) -> list[list[str]]:
    """The transcript's messages: each a line with its time, and the indented lines under it."""
    messages: list[list[str]] = []
    for line in transcript.splitlines():
        if re.match(r"\d\d:\d\d ", line):
            messages.append([line])
        elif line.startswith("      ") and not line.lstrip().startswith("⏱") and messages:
            messages[-1].append(line)
    return messages


def _round_messages(transcript: str) -> dict[str, list[str]]:
    """Each round's message in the channel as it was posted and then edited: round number → its versions."""
    rounds: dict[str, list[str]] = {}
    for message in _messages(transcript):
        if found := ROUND_MESSAGE.match(message[0]):
            rounds.setdefault(found[1], []).append("\n".join(message))
    return rounds


def _check_the_round_messages(transcript: str) -> None:
    """One message a round, posted once, counted up in place and turned into the summary; nobody named."""
    rounds = _round_messages(transcript)
    assert sorted(rounds) == ["1", "2", "3"]
    for number, versions in rounds.items():
        assert " ✎ updated " not in versions[0] and "*Answered so far*: " in versions[0]  # posted, then edits
        assert all(" ✎ updated “Check-in round " in v for v in versions[1:])
        counts = [re.findall(r"(\d) of \d", v.split("*Answered so far*: ")[1].split("\n")[0]) for v in versions[:-1]]
        answered = [sum(int(done) for done in line) for line in counts]  # each answer shown as it came
        expected = 7 - (number == "2")  # Dana skips round 2
        assert answered == sorted(answered) and sorted(set(answered)) == list(range(expected + 1)), answered
        summary = versions[-1]  # the same message at the close: participation, means per party and gaps
        assert f"*Check-in round {number}* of *Northwind–Southwind cold chain*: closed" in summary
        assert "*Participation*: Northwind Logistics 3 of 3 · Southwind Foods " in summary
        assert len(re.findall(r": \d\.\d\d / \d\.\d\d", summary)) == 6 and ":warning: *gap " in summary
        assert "[Answer the check-in]" not in summary and "withheld" not in summary
        for version in versions:  # counts per party only: no person is named, for answering or not
            assert "@" not in version, version
            assert not re.search(rf"\b({'|'.join(PEOPLE)})\b", version, re.IGNORECASE), version
    # prompts and comments kept for their readers: Northwind's comment only in its leads' DMs
    private = [m for m in _messages(transcript) if "Southwind's dock turns our trucks away" in "\n".join(m)]
    assert [m[0].split("“")[0] for m in private] == ["15:30 Accord ✎ updated DM to alice@northwind ",
                                                     "15:30 Accord ✎ updated DM to erin@northwind "]
    assert not re.search(r"^\d\d:\d\d Accord(?: ✎ updated)?: .*Time for check-in", transcript, re.MULTILINE)


def test_the_demo_plays_a_quarter_and_leaves_a_transcript_a_chart_and_a_plan(tmp_path: Path) -> None:
    run = _accord("demo", "--fast", "--dir", "out", cwd=tmp_path)  # under a minute, or the timeout fails it
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr == ""  # no log line, no traceback
    folder = tmp_path / "out"
    transcript = (folder / "transcript.md").read_text(encoding="utf-8")
    for stage in STAGES:
        assert stage in transcript, stage
        assert stage in run.stdout, stage  # printed as it unfolded
    _check_the_round_messages(transcript)
    days = re.findall(r"━━ (\w{3} \d\d \w{3} 2027) ━", transcript)
    assert days[0] == "Mon 04 Jan 2027" and days[-1] == "Thu 01 Apr 2027"
    assert "⏱  clock → Thu 01 Apr 2027 10:00 Europe/London" in transcript
    assert "stmt_" not in transcript and "comment=" not in transcript  # nobody's ratings or comments as sent
    assert transcript.count("Two loads sat warm") == 2  # the shared comment: in the round's thread, and to Carol
    assert re.search(r"\nDone in \d+\.\d s\. In out/:", run.stdout)

    image = Image.open(io.BytesIO((folder / "review-1-chart.png").read_bytes()))
    assert image.format == "PNG" and image.size[0] >= 600

    # the exported plan reloads into a fresh database, and exports the same again
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'reloaded.db'}"}
    assert _accord_here("migrate", cwd=tmp_path, env=env).returncode == 0
    loaded = _accord_here("import", str(folder / "plan.yaml"), cwd=tmp_path, env=env)
    assert loaded.returncode == 0 and "imported Northwind–Southwind cold chain" in loaded.stdout, loaded.stderr
    again = _accord_here("export", "--channel", "C0DEMOSHARED", cwd=tmp_path, env=env)
    assert again.stdout == (folder / "plan.yaml").read_text(encoding="utf-8")
    assert "reviews:" in again.stdout and "Warm deliveries" in again.stdout


CONSOLE_INPUT = "\n".join([
    "help",
    "/accord setup",  # as Alice: the form, field by field
    # the channel's timezone, then each party's calendar (5 fields each) and the cadences and ladder: defaults
    "Northwind–Southwind trial", "Northwind Logistics", "Southwind Foods", "", "Europe/London", *[""] * 13,
    "as bob",
    "buttons",
    "click Join",
    "@accord status",
    "/accord kpi",  # Bob is only a manager... of Southwind: the form opens; a red above the target first
    "On time", "%", "1", "95", "99", "2", "2", "",  # owned by Southwind: Bob's party adds it alone
    "85",  # asked again for the refused field only
    "tick +14d",
    "as nobody",
    "click 99",
    "quit",
]) + "\n"


def test_the_console_takes_piped_input(tmp_path: Path) -> None:
    run = _accord_here("console", "--dir", "c", cwd=tmp_path, stdin=CONSOLE_INPUT)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert "tick <+3d | +4h | +30m" in out  # help
    assert "alice@northwind: fills the form “Set up Accord”: name=Northwind–Southwind trial" in out
    assert "Accord: :handshake: *Northwind–Southwind trial* is now run with Accord" in out
    assert "You are bob@southwind." in out and re.search(r"\d+\. \[Join\]", out)
    assert "Accord (only bob@southwind sees): You joined *Southwind Foods* as Manager." in out
    assert "Accord (only bob@southwind sees): NORTHWIND–SOUTHWIND TRIAL" in out
    assert "Accord (in bob@southwind's form): red: " in out
    assert "Accord (only bob@southwind sees): Saved KPI #1: On time" in out
    assert "Time for check-in round 1 of *Northwind–Southwind trial*" in out  # the clock moved on
    assert "It is now Mon 18 Jan 2027 10:30 UTC." in out
    assert "! nobody is called nobody" in out and "! no button 99" in out
