"""The audit report (issue 21, point 6): `accord report` writes one self-contained HTML file for a quarter of a
partnership, every section of the clause map labelled with its clause, user text escaped and no check-in answer in
it; a channel without a relationship gets one line and no file. tests/demo opens the demo's report in Chromium."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from bot.report import render_html
from commands.report import clauses, gather
from storage.engine import make_engine, reading
from tests.accord_cli import run_accord
from tests.browser import sections
from tests.commands.report_quarter import END, SECRET, build_quarter
from tests.commands.rmp_factory import CHANNEL
from tests.databases import sqlite_clone


def test_the_audit_report_is_one_self_contained_file_with_every_section_labelled(sqlite_template: Path,
                                                                                 tmp_path: Path) -> None:
    url = sqlite_clone(sqlite_template, tmp_path / "accord.db")
    engine = make_engine(url)
    try:
        build_quarter(engine)
        with reading(engine) as db:
            report = gather.for_channel(db, channel_id=CHANNEL, now=END)
    finally:
        engine.dispose()
    html = render_html(report)
    expected = {s["id"]: s["label"] for s in clauses.sections()}
    assert all(label.startswith("ISO 44001 clause 8.8 Staying together · step ") for label in expected.values())

    # self-contained: inline CSS, charts as PNG data URIs, nothing fetched; user text escaped; no answer shown
    parsed = sections(html)
    assert {k: " ".join(v.split()) for k, v in parsed.labels.items()} == expected
    assert len(parsed.images) == 2 and all(src.startswith("data:image/png;base64,") for src in parsed.images)
    assert all(base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n" for src in parsed.images)
    assert "<link" not in html and "<script" not in html and 'src="http' not in html and SECRET not in html
    report["ideas"]["entries"][0]["title"] = '<script>alert("x")</script>'
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in render_html(report)


def test_accord_report_writes_the_file_and_refuses_a_channel_without_a_relationship(sqlite_template: Path,
                                                                                    tmp_path: Path) -> None:
    url = sqlite_clone(sqlite_template, tmp_path / "accord.db")
    engine = make_engine(url)
    try:
        build_quarter(engine)
    finally:
        engine.dispose()
    env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "PATH": os.environ["PATH"]}
    wrote = run_accord(["report", "--channel", CHANNEL, "--output", "report.html"], env=env, cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    assert "wrote the audit report" in wrote.stdout
    assert list(sections((tmp_path / "report.html").read_text(encoding="utf-8")).labels) == \
        [s["id"] for s in clauses.sections()]
    refused = run_accord(["report", "--channel", "C0NOPE", "--output", "nope.html"], env=env, cwd=tmp_path)
    assert (refused.returncode, refused.stderr.strip()) == (1, "accord report: channel C0NOPE has no relationship")
    assert not (tmp_path / "nope.html").exists()
