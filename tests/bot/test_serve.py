"""`accord serve` as a real process: health, a signed request, the scheduler, and SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from bot.fakeslack import FakeSlack, SlackDriver
from commands import reminders, work
from storage.engine import make_engine, transaction
from storage.migrate import head_revision
from storage.models import SENT, OutboxMessage
from storage.utc import utcnow
from tests import local_http
from tests.accord_cli import run_accord
from tests.harness import BOT_TOKEN, CHANNEL, SIGNING_SECRET, accord_command

# real `accord` processes, several at once: one xdist worker runs these files one test after another
pytestmark = pytest.mark.xdist_group("real-processes")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])



def start_serve(database_url: str, fake: FakeSlack, tmp_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake.api_url, "DATABASE_URL": database_url, "PORT": str(port),
           "ACCORD_TICK_SECONDS": "0.2", "LOG_LEVEL": "DEBUG"}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([*accord_command(), "serve", "--host", "127.0.0.1", *args], env=env, cwd=tmp_path,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if local_http.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise AssertionError("accord serve did not come up:\n" + (tmp_path / "serve.log").read_text())


def stop(process: subprocess.Popen, timeout: float = 20) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout)


def test_serve_migrates_answers_health_and_signed_requests_then_stops_on_sigterm(
    empty_database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    process, url = start_serve(empty_database_url, fake, tmp_path)
    try:
        health = local_http.get(url + "/healthz").json()
        assert health["status"] == "ok" and health["database"] == "ok"
        assert health["schema_revision"] == health["schema_head"] == head_revision()
        driver = SlackDriver(app_url=url + "/slack/events", signing_secret=SIGNING_SECRET, fake=fake)
        assert "/accord remind" in driver.slash("UALICE", CHANNEL, "help").text
        assert driver.send("command=/accord&text=help", "application/x-www-form-urlencoded",
                           sign=False).status_code == 401
        driver.close()
    finally:
        assert stop(process) == 0
    logs = (tmp_path / "serve.log").read_text()
    assert "accord stopped" in logs
    assert BOT_TOKEN not in logs and SIGNING_SECRET not in logs


def test_the_in_process_scheduler_delivers_due_work(database_url: str, fake: FakeSlack, tmp_path: Path) -> None:
    process, _url = start_serve(database_url, fake, tmp_path)
    try:
        engine = make_engine(database_url)
        with transaction(engine) as db:
            work.schedule(db, kind=reminders.KIND, key="due-now", due_at=utcnow(), now=utcnow(),
                          payload={"channel": CHANNEL, "text": "Quarterly numbers", "by": "UALICE"})
        fake.wait_for("chat.postMessage", count=1, timeout=15)
        assert [m["text"] for m in fake.messages(CHANNEL)] == ["Reminder: Quarterly numbers"]
        engine.dispose()
    finally:
        assert stop(process) == 0


def test_sigterm_mid_send_finishes_the_message_and_records_it(
    database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    process, _url = start_serve(database_url, fake, tmp_path)
    engine = make_engine(database_url)
    try:
        fake.inject("chat.postMessage", delay=2.0, times=1)
        with transaction(engine) as db:
            work.schedule(db, kind=reminders.KIND, key="slow", due_at=utcnow(), now=utcnow(),
                          payload={"channel": CHANNEL, "text": "Slow one", "by": "UALICE"})
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with Session(engine) as db:
                row = db.exec(select(OutboxMessage)).first()
            if row is not None and row.status == "sending":
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the message never started sending")
    finally:
        code = stop(process)
    assert code == 0
    with Session(engine) as db:
        row = db.exec(select(OutboxMessage)).one()
    assert row.status == SENT and row.ts is not None
    assert len(fake.messages(CHANNEL)) == 1
    engine.dispose()


def test_no_migrate_on_an_empty_database_fails_with_one_line(
    empty_database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake.api_url, "DATABASE_URL": empty_database_url, "PORT": str(free_port())}
    result = subprocess.run([*accord_command(), "serve", "--no-migrate"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "accord migrate" in result.stderr and "Traceback" not in result.stderr


def test_sigterm_with_a_request_under_way_answers_it_then_exits_cleanly(fake: FakeSlack, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'inflight.db'}"  # SQLite's write lock keeps a request under way
    process, url = start_serve(database_url, fake, tmp_path, "--no-scheduler")
    import sqlite3
    import threading

    blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the request below must wait for this lock
    driver = SlackDriver(app_url=url + "/slack/events", signing_secret=SIGNING_SECRET, fake=fake)
    answers: list[httpx.Response] = []
    request = threading.Thread(target=lambda: answers.append(driver.slash("UALICE", CHANNEL, "remind in 1d Hi")))
    request.start()
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    with pytest.raises(httpx.ConnectError):  # no new connections once stopping
        local_http.get(url + "/healthz", timeout=2)
    blocker.execute("COMMIT")
    blocker.close()
    request.join(20)
    assert process.wait(20) == 0
    assert answers and answers[0].status_code == 200 and "I will remind" in answers[0].json()["text"]
    logs = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in logs and "Bad file descriptor" not in logs
    driver.close()


def test_without_the_scheduler_due_work_waits_for_accord_tick(
    database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    process, _url = start_serve(database_url, fake, tmp_path, "--no-scheduler")
    engine = make_engine(database_url)
    try:
        with transaction(engine) as db:
            work.schedule(db, kind=reminders.KIND, key="cron", due_at=utcnow(), now=utcnow(),
                          payload={"channel": CHANNEL, "text": "From cron", "by": "UALICE"})
        time.sleep(1.5)  # several of ACCORD_TICK_SECONDS=0.2
        assert fake.messages(CHANNEL) == []
    finally:
        assert stop(process) == 0
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url, "DATABASE_URL": database_url}
    ticked = run_accord(["tick"], env=env, cwd=tmp_path)
    assert ticked.returncode == 0 and "1 done" in ticked.stdout, ticked.stderr
    assert [m["text"] for m in fake.messages(CHANNEL)] == ["Reminder: From cron"]
    engine.dispose()


def test_several_replicas_migrating_at_once_all_succeed(empty_database_url: str, tmp_path: Path) -> None:
    database_url = empty_database_url
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    runs = [subprocess.Popen([*accord_command(), "migrate"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(run.wait(60), run.stderr.read() if run.stderr else "") for run in runs]
    assert [code for code, _ in results] == [0, 0, 0], results
    engine = make_engine(database_url)
    from storage.migrate import current_revision

    assert current_revision(engine) == head_revision()
    engine.dispose()
