"""`accord demo` plays a quarter offline (once for this module) and leaves a transcript in Markdown, a chart and a
plan that reloads; what it prints has Slack's markup rendered."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from PIL import Image

from commands.report import clauses
from tests import browser as browser_tests
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


STAGES = [  # as a reader sees them: Slack's markup rendered (styles are the terminal's, or Markdown's)
    # setup through the real modal, people of both organisations joining, roles by mention for Southwind
    "alice@northwind: fills the form “Set up Accord”",
    "Accord: 🤝 Northwind–Southwind cold chain is now run with Accord",
    "Accord (only bob@southwind sees): You joined Southwind Foods as a manager.",
    "bob@southwind: @accord role @bob ser",
    # a shared setting proposed by one party and approved by the other with the button (the proposal edited)
    "@alice (Northwind Logistics) proposes to change the check-in settings:\n      • gap flagged at: 1 → 0.75",
    "bob@southwind: clicks [Approve (Southwind Foods)]",
    "Accord ✎ updated “Proposal #1” (posted 10:30): ✅ Approved by @bob (Southwind Foods): in effect",
    # the charter, proposed by one party and approved by the other; its behaviours become the check-in statements
    "alice@northwind: fills the form “Partnership charter”",
    "@alice (Northwind Logistics) proposes to change the partnership charter:",
    "📜 Charter: “Get every Southwind order to its stores cold, on time and without waste.” · 3 values, 6 behaviours",
    "Temperature data is shared the same day: 4.0 / 3.0",
    # a service level Northwind promises, and the resource it commits
    "Saved service level #3: Temperature alarms answered within 2 hours",
    "erin@northwind: /accord commit people 2 FTE",
    # the round's one message in the channel, posted when the first person is asked: its window and counts
    "08:30 Accord: 📋 Check-in round 1 of Northwind–Southwind cold chain: open Tue 19 Jan 09:30 to "
    "Fri 22 Jan 15:30 (Europe/London).\n      Answered so far: Northwind Logistics 0 of 3 · Southwind Foods 0 of 4",
    # prompts at 09:30 in each person's own timezone (Paris 08:30 London, New York 14:30, Chicago 15:30): a DM,
    # or for Southwind's people, whom Accord cannot DM, a message only they see in the channel
    "08:30 Accord → DM hank@northwind: Time for check-in round 1",
    "14:30 Accord (only bob@southwind sees): Time for check-in round 1",
    "15:30 Accord (only carol@southwind sees): Time for check-in round 1",
    "sends the form “Check-in round 1” (answers stay private)",
    # the round's message updated in place as people answer, and as one skips
    "09:10 Accord ✎ updated “Check-in round 1 of Northwind–Southwind cold chain” (posted 08:30): Answered so far: "
    "Northwind Logistics 1 of 3 · Southwind Foods 0 of 4",
    "dana@southwind: clicks [Skip this round]",
    "Answered so far: Northwind Logistics 3 of 3 · Southwind Foods 2 of 3, 1 skipped",
    # at the close the same message becomes the summary, with the KPIs and changes in its thread
    "15:30 Accord ✎ updated “Check-in round 1 of Northwind–Southwind cold chain” (posted Tue 19 Jan 08:30)\n"
    "      📋 Check-in round 1 of Northwind–Southwind cold chain: closed Fri 22 Jan 15:30.\n"
    "      Participation: Northwind Logistics 3 of 3 · Southwind Foods 4 of 4\n"
    "      Behaviours and trust (means out of 5: Northwind Logistics / Southwind Foods)\n"
    "      Communication is open and timely: 4.0 / 3.0 ⚠️ gap 1.0",
    "15:30       ↳ Accord: KPIs\n         🟠 #1 Deliveries at temperature: 97 %",
    "Participation: Northwind Logistics 3 of 3 · Southwind Foods 3 of 3, 1 skipped",
    "I trust the partner to act in our joint interest: 4.0 / 2.0 ⚠️ gap 2.0",
    # comments: to the commenter's own SERs and managers (their prompt DMs edited at the close, or the summary's
    # button for those Accord cannot DM), and a shared one in the round's thread
    "15:30 Accord ✎ updated DM to alice@northwind “Time for check-in round 2 of Northwind–Southwind cold chain” "
    "(posted Tue 16 Feb 09:30)\n"
    "      Check-in round 2 of Northwind–Southwind cold chain has closed; its summary is in the channel.\n"
    "      Northwind Logistics' comments in round 2 (without names; only your SERs and managers see these)\n"
    "      • Southwind's dock turns our trucks away after 16:00",
    "↳ Accord: Comments Southwind Foods shared with Northwind Logistics (round 2, without names)\n"
    "         • Two loads sat warm at the dock this month.",
    "carol@southwind: clicks [Comments for my organisation]\n"
    "21:00 Accord (only carol@southwind sees): Southwind Foods' comments in round 2",
    # the dispute raised from a thread, its warning, escalation on the timer and agreed resolution
    "↳ carol@southwind: @accord dispute",
    "75% of the time at L1 Working level has gone",
    "Escalated to L2 Relationship managers: the time at the level ran out. @erin @carol",
    "@carol (Southwind Foods) accepted. Resolved: Credit for the three loads",
    "Dispute #1 Warm deliveries is resolved at L2 Relationship managers.",
    # the action that cannot be completed, told to the partner's managers
    # (at 11:00 in London; Bob in New York is told when his working hours start, 08:30 there)
    "⚠️ Partner managers: @hank (Northwind Logistics) cannot complete action #2",
    "13:30       ↳ Accord: @bob action #2 (Install data loggers in 12 trucks) cannot be completed: see above.",
    # the service level missed in round 2: posted once, naming the party that promised it
    "Accord: ⚠️ Service level #3 Temperature alarms answered within 2 hours missed for 2027-02-16: 89 % against the "
    "promised ≥ 95 % (Northwind Logistics' promise to Southwind Foods).",
    # an idea raised by mention, agreed by the other party, started and delivered: one message updated in place
    "joe@southwind: @accord idea Share the trucks' logger data with the receiving dock every day",
    "Accord: 💡 Idea #1 from Southwind Foods: Share the trucks' logger data with the receiving dock every day",
    "erin@northwind: clicks [Agree (Northwind Logistics)]",
    "Accord ✎ updated “Idea #1 from Southwind Foods” (posted Wed 10 Mar 15:00): ✅ Idea #1 from Southwind Foods",
    # the quarterly review with its recommendations, wins, chart and both signatures
    "Accord: REVIEW #1: NORTHWIND–SOUTHWIND COLD CHAIN",
    "Recommendations (3)",
    "because KPI #1 Deliveries at temperature fell 97 → 93 → 88 %; it is past red (90 %)",
    "because a perception gap of 1.7 on “I trust the partner to act in our joint interest”",
    "• Dispute #1 “Warm deliveries” resolved at L2 Relationship managers",
    "Service levels: Northwind Logistics 2 met, 1 breached",
    "Improvement: Northwind Logistics' ideas: none; Southwind Foods' ideas: 1 raised, 1 agreed, 1 delivered",
    "📎 shares “Review #1 chart: Northwind–Southwind cold chain” (accord-review-1.png",
    # before signing: each party's expectations and a lesson, shown in the review's one message
    "Northwind Logistics: 4/5, fully met: “Deliveries held up; the warm loads in February hurt”",
    "1. Warm loads reached the dock unnoticed for a week (Northwind Logistics, @erin)",
    "Southwind Foods: 3/5, largely met: “Service level missed once; the dispute took three weeks”",
    "Northwind Logistics: signed off by @alice on 01 Apr 2027 17:00 · reviewed plan version 54 and the exit strategy",
    "Southwind Foods: signed off by @bob on 01 Apr 2027 17:30 · reviewed plan version 54 and the exit strategy",
    "Signed off by both parties.",
]
RAW_MARKUP = re.compile(r"<[@#!][A-Z0-9]|:[a-z][a-z0-9_+-]*:|\*[A-Z][^*\n]*\*|(?<![\w\\])_[A-Z][^_\n]*_(?!\w)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PEOPLE = ("alice", "erin", "hank", "bob", "carol", "joe", "dana")
ROUND_MESSAGE = re.compile(r"^\d\d:\d\d Accord(?:: 📋 | ✎ updated “)Check-in round (\d)")


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
        assert " ✎ updated " not in versions[0] and "Answered so far: " in versions[0]  # posted, then edits
        assert all(" ✎ updated “Check-in round " in v for v in versions[1:])
        counts = [re.findall(r"(\d) of \d", v.split("Answered so far: ")[1].split("\n")[0]) for v in versions[:-1]]
        answered = [sum(int(done) for done in line) for line in counts]  # each answer shown as it came
        expected = 7 - (number == "2")  # Dana skips round 2
        assert answered == sorted(answered) and sorted(set(answered)) == list(range(expected + 1)), answered
        summary = versions[-1]  # the same message at the close: participation, means per party and gaps
        assert f"Check-in round {number} of Northwind–Southwind cold chain: closed" in summary
        assert "Participation: Northwind Logistics 3 of 3 · Southwind Foods " in summary
        assert len(re.findall(r": \d\.\d / \d\.\d\b", summary)) == 6 and "⚠️ gap " in summary
        assert "[Answer the check-in]" not in summary and "withheld" not in summary
        for version in versions:  # counts per party only: no person is named, for answering or not
            assert "@" not in version, version
            assert not re.search(rf"\b({'|'.join(PEOPLE)})\b", version, re.IGNORECASE), version
    # prompts and comments kept for their readers: Northwind's comment only in its leads' DMs
    private = [m for m in _messages(transcript) if "Southwind's dock turns our trucks away" in "\n".join(m)]
    assert [m[0].split("“")[0] for m in private] == ["15:30 Accord ✎ updated DM to alice@northwind ",
                                                     "15:30 Accord ✎ updated DM to erin@northwind "]
    assert not re.search(r"^\d\d:\d\d Accord(?: ✎ updated)?: .*Time for check-in", transcript, re.MULTILINE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One demo run for the whole module, in a process of its own: its folder, and the process as it ended."""
    folder = tmp_path_factory.mktemp("demo")
    run = _accord("demo", "--fast", "--dir", "out", cwd=folder)  # under a minute, or the timeout fails it
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr == ""  # no log line, no traceback
    return folder, subprocess.CompletedProcess(run.args, run.returncode, ANSI.sub("", run.stdout), run.stderr)


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _markdown_text(markdown: str) -> str:
    """transcript.md as a reader of the rendered page sees it: its words, styles and headings gone."""
    parts: list[str] = []
    for token in MarkdownIt("commonmark").enable("strikethrough").parse(markdown):
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append("\n")
        if token.type in ("paragraph_close", "heading_close"):
            parts.append("\n")
    return "".join(parts)


def test_the_demo_prints_the_quarter_with_slacks_markup_rendered(demo: tuple[Path, subprocess.CompletedProcess[str]]
                                                                 ) -> None:
    _folder, run = demo
    for stage in STAGES:
        assert stage in run.stdout, stage  # printed as it unfolded, its markup rendered
    assert not RAW_MARKUP.search(run.stdout), RAW_MARKUP.search(run.stdout)
    assert "<#C" not in run.stdout and "<@U" not in run.stdout and "&lt;" not in run.stdout
    assert "🟢" in run.stdout and "#northwind-southwind" in run.stdout  # emoji and channel names as Slack shows them
    _check_the_round_messages(run.stdout)
    days = re.findall(r"━━ (\w{3} \d\d \w{3} 2027) ━", run.stdout)
    assert days[0] == "Mon 04 Jan 2027" and days[-1] == "Thu 01 Apr 2027"
    assert "⏱  clock → Thu 01 Apr 2027 10:00 Europe/London" in run.stdout
    assert "stmt_" not in run.stdout and "comment=" not in run.stdout  # nobody's ratings or comments as sent
    assert run.stdout.count("Two loads sat warm") == 2  # the shared comment: in the round's thread, and to Carol
    assert re.search(r"\nDone in \d+\.\d s\. In out/:", run.stdout)


def test_the_transcript_is_markdown(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    folder, run = demo
    markdown = (folder / "out" / "transcript.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("strikethrough").parse(markdown)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == "Accord demo: a quarter of Northwind and Southwind"
    assert "Alice (Northwind's SER) sets Accord up in the shared Slack Connect channel." in headings  # each step
    assert "Mon 04 Jan 2027" in headings and "Thu 01 Apr 2027" in headings  # and each day
    assert not [t for t in tokens if t.type in ("fence", "code_block")]  # no code block, let alone around it all
    assert sum(t.type == "paragraph_open" for t in tokens) > 300  # each message a paragraph of its own
    assert sum(t.type == "blockquote_open" for t in tokens) > 20  # thread replies quoted
    strong = {c.content for t in tokens for c in (t.children or []) if c.type == "text"
              and (t.children or [])[max(0, (t.children or []).index(c) - 1)].type == "strong_open"}
    assert {"KPIs", "Answered so far", "Recommendations"} <= strong  # Slack's *bold* as Markdown's
    assert not re.search(r"<@U|<#C|:large_green_circle:|:[a-z_]+:", markdown)
    assert "🟢" in markdown and "#northwind-southwind" in markdown
    # the same story as printed: every stage in its words
    words = _words(_markdown_text(markdown))
    for stage in STAGES:
        assert _words(stage.replace("       ↳ ", " ↳ ")) in words, stage
    assert words.count("Two loads sat warm") == 2 and "stmt_" not in words


def test_the_demo_leaves_a_chart_and_a_plan_that_reloads(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    tmp_path, _run = demo
    folder = tmp_path / "out"
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

    # the audit report beside them: one HTML file with every section, the charter, the breach, the idea and minutes
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "Get every Southwind order to its stores cold" in report
    for seen in ("Temperature alarms answered within 2 hours", "Share the trucks&#39; logger data",
                 "Warm loads reached the dock unnoticed for a week", "ISO 44001 clause 8.8"):
        assert seen in report, seen


def test_the_demos_audit_report_opens_in_chromium_with_every_section_labelled(
        demo: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    """The report.html the demo leaves, opened in headless Chromium (Debian's package, installed when missing): its
    DOM holds every section of the clause map with its clause label, in order, and its screenshot is not blank.
    ACCORD_AUDIT_SCREENSHOT=docs/audit-report.png keeps the screenshot (the README shows it)."""
    folder, _run = demo
    page = folder / "out" / "report.html"
    expected = {s["id"]: s["label"] for s in clauses.sections()}
    assert all(label.startswith("ISO 44001 clause 8.8 Staying together · step ") for label in expected.values())
    chromium = browser_tests.chromium()
    dom = browser_tests.browser(chromium, "--dump-dom", page.as_uri(), home=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    built = browser_tests.sections(dom.stdout)
    assert list(built.labels) == list(expected)
    assert {k: " ".join(v.split()) for k, v in built.labels.items()} == expected
    assert len(built.images) == 2 and all(src.startswith("data:image/png;base64,") for src in built.images)
    for seen in ("Get every Southwind order to its stores cold", "Warm loads reached the dock unnoticed"):
        assert seen in dom.stdout, seen

    shot = tmp_path / "audit-report.png"
    window = (1280, 2400)
    drawn = browser_tests.browser(chromium, f"--screenshot={shot}", f"--window-size={window[0]},{window[1]}",
                                  page.as_uri(), home=tmp_path)
    assert drawn.returncode == 0 and shot.exists(), drawn.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == window
        small = image.convert("RGB").resize((128, 240))
        colours = small.getcolors(maxcolors=128 * 240) or []
        inked = sum(count for count, rgb in colours if sum(rgb) < 600)  # not white nor near-white
        assert len(colours) > 50 and inked > 0.01 * 128 * 240  # text, tables and charts: not a blank page
        if keep := os.environ.get("ACCORD_AUDIT_SCREENSHOT"):  # for the README: 256 colours keep it small
            image.convert("RGB").quantize(256).save(keep, optimize=True)
