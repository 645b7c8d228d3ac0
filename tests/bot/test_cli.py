"""The `accord` CLI: --help everywhere, bad settings exit 2 with one line, migrate and tick.

The commands run in this process (tests/accord_cli.py); the first test runs the installed console script."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from storage.migrate import head_revision
from tests.accord_cli import run_accord
from tests.harness import accord_command

GOOD = {"SLACK_BOT_TOKEN": "xoxb-ok", "SLACK_SIGNING_SECRET": "shh-secret-value", "PATH": os.environ["PATH"]}


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_accord(args, env=env, cwd=cwd)


def test_the_console_script_answers_help_and_names_a_bad_setting(tmp_path: Path) -> None:
    def script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*accord_command(), *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=60, check=False)

    helped = script("--help", env=GOOD)
    assert helped.returncode == 0 and "usage: accord" in helped.stdout
    refused = script("tick", env={**GOOD, "SLACK_BOT_TOKEN": "not-a-bot-token"})
    assert refused.returncode == 2 and "SLACK_BOT_TOKEN" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [[], ["serve"], ["tick"], ["migrate"]])
def test_every_subcommand_has_help(command: list[str], tmp_path: Path) -> None:
    result = run([*command, "--help"], GOOD, tmp_path)
    assert result.returncode == 0
    assert "usage: accord" in result.stdout


def test_serve_help_names_its_options(tmp_path: Path) -> None:
    out = run(["serve", "--help"], GOOD, tmp_path).stdout
    for option in ("--no-scheduler", "--no-migrate", "--port"):
        assert option in out


@pytest.mark.parametrize(
    ("command", "override", "named"),
    [
        ("serve", {"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ("serve", {"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
        ("serve", {"PORT": "abc"}, "PORT"),
        ("serve", {"PORT": "70000"}, "PORT"),
        ("tick", {"SLACK_BOT_TOKEN": "not-a-bot-token"}, "SLACK_BOT_TOKEN"),
        ("serve", {"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        ("migrate", {"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ("migrate", {"DATABASE_URL": "postgresql://u:s3cret@host:abc/db"}, "DATABASE_URL"),
        ("migrate", {"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ("tick", {"ACCORD_TICK_SECONDS": "-1"}, "ACCORD_TICK_SECONDS"),
        ("tick", {"SLACK_API_URL": "ftp://slack"}, "SLACK_API_URL"),
    ],
)
def test_a_bad_setting_exits_2_with_one_line_naming_it(
    command: str, override: dict[str, str], named: str, tmp_path: Path
) -> None:
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", **override}
    result = run([command], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0] and "Traceback" not in result.stderr
    assert "shh-secret-value" not in result.stderr and "s3cret" not in result.stderr
    assert not (tmp_path / "a.db").exists()  # nothing was touched


def test_settings_come_from_dotenv_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=notaport\nLOG_LEVEL=INFO\n")
    result = run(["serve"], GOOD, tmp_path)
    assert result.returncode == 2 and "PORT" in result.stderr
    result = run(["migrate"], {**GOOD, "PORT": "3001", "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}, tmp_path)
    assert result.returncode == 0, result.stderr


def test_migrate_then_tick_on_a_fresh_database(tmp_path: Path) -> None:
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    unmigrated = run(["tick"], env, tmp_path)
    assert unmigrated.returncode == 1
    assert "accord migrate" in unmigrated.stderr and len(unmigrated.stderr.strip().splitlines()) == 1
    migrated = run(["migrate"], env, tmp_path)
    assert migrated.returncode == 0 and f"revision {head_revision()}" in migrated.stdout
    assert run(["migrate"], env, tmp_path).returncode == 0  # idempotent
    ticked = run(["tick", "--as-of", "2026-12-01T09:00:00Z"], env, tmp_path)
    assert ticked.returncode == 0, ticked.stderr
    assert "0 done" in ticked.stdout


def test_a_bad_as_of_is_refused(tmp_path: Path) -> None:
    result = run(["tick", "--as-of", "next tuesday"], GOOD, tmp_path)
    assert result.returncode == 2 and "not an ISO 8601 time" in result.stderr
