"""OAuth distribution from the outside: the settings (all three or none, one clear line otherwise) and a real
`accord serve` process that is installed, answers the installed team and posts with its token."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.fakeslack import FakeSlack, SlackDriver
from bot.settings import DEFAULT_SCOPES, SettingsError, load_settings
from commands import reminders, work
from storage.engine import make_engine, transaction
from storage.utc import utcnow
from tests import local_http
from tests.bot.test_serve import free_port
from tests.harness import CHANNEL, HOME, SIGNING_SECRET, STATE_SECRET, accord_command, oauth_values

# real `accord` processes, several at once: one xdist worker runs these files one test after another
pytestmark = pytest.mark.xdist_group("real-processes")

OAUTH = {"SLACK_CLIENT_ID": "123.456", "SLACK_CLIENT_SECRET": "client-secret-value", "SLACK_STATE_SECRET": "s" * 20}


@pytest.mark.parametrize(("values", "named"), [
    ({"SLACK_CLIENT_ID": "123.456"}, "SLACK_CLIENT_SECRET"),
    ({**OAUTH, "SLACK_STATE_SECRET": ""}, "SLACK_STATE_SECRET"),
    ({**OAUTH, "SLACK_STATE_SECRET": "short"}, "SLACK_STATE_SECRET"),
    ({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN"),
    ({**OAUTH, "SLACK_REDIRECT_URI": "https://accord.example.com/elsewhere"}, "SLACK_REDIRECT_URI"),
])
def test_oauth_settings_come_all_together_or_not_at_all(values: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(values, require=("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"))
    assert raised.value.name == named
    assert "client-secret-value" not in str(raised.value) and "s" * 20 not in str(raised.value)


def test_distribution_needs_no_bot_token_and_a_bot_token_alone_stays_single_workspace() -> None:
    distributed = load_settings({**OAUTH, "SLACK_SIGNING_SECRET": "x"}, require=("SLACK_BOT_TOKEN",))
    assert distributed.distributed and distributed.bot_token is None and distributed.scopes == DEFAULT_SCOPES
    assert "client-secret-value" not in repr(distributed)
    scoped = load_settings({**OAUTH, "SLACK_SCOPES": "commands, chat:write",
                            "SLACK_REDIRECT_URI": "https://accord.example.com/slack/oauth_redirect"})
    assert scoped.scopes == ("commands", "chat:write") and scoped.redirect_uri.endswith("/slack/oauth_redirect")
    single = load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, require=("SLACK_BOT_TOKEN",))
    assert not single.distributed and single.client_id is None


def test_a_partial_oauth_setting_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "SLACK_SIGNING_SECRET": "x", "SLACK_CLIENT_ID": "123.456",
           "SLACK_CLIENT_SECRET": "client-secret-value", "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    result = subprocess.run([*accord_command(), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "SLACK_STATE_SECRET" in line and "client-secret-value" not in line
    assert not (tmp_path / "a.db").exists()


def test_accord_serve_is_installed_then_answers_and_posts_with_the_installations_token(
    database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, **oauth_values(fake), "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url,
           "DATABASE_URL": database_url, "PORT": str(port), "ACCORD_TICK_SECONDS": "0.2", "LOG_LEVEL": "DEBUG"}
    env.pop("SLACK_BOT_TOKEN", None)
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([*accord_command(), "--env-file", "/nonexistent", "serve", "--host", "127.0.0.1"],
                               env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, tmp_path)
        started = local_http.get(url + "/slack/install", follow_redirects=False)
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        cookie = started.headers["set-cookie"].split(";")[0]
        done = local_http.get(url + "/slack/oauth_redirect", headers={"Cookie": cookie},
                              params={"code": fake.authorize_code(HOME, "UALICE"), "state": state})
        assert done.status_code == 200 and "Thank you!" in done.text
        [token] = fake.bot_tokens(HOME)[1:]

        driver = SlackDriver(app_url=url + "/slack/events", signing_secret=SIGNING_SECRET, fake=fake)
        assert "/accord remind" in driver.slash("UALICE", CHANNEL, "help").text
        driver.close()
        engine = make_engine(database_url)
        with transaction(engine) as db:
            work.schedule(db, kind=reminders.KIND, key="due-now", due_at=utcnow(), now=utcnow(),
                          payload={"channel": CHANNEL, "text": "Quarterly numbers", "by": "UALICE"})
        engine.dispose()
        [post] = fake.wait_for("chat.postMessage", count=1, timeout=15)
        assert post.token == token
        assert [call.method for call in fake.calls if call.method == "auth.test"] == ["auth.test"]  # the install's
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    logs = (tmp_path / "serve.log").read_text()
    for secret in (fake.client_secret, STATE_SECRET, token, SIGNING_SECRET):
        assert secret not in logs


def _wait_healthy(url: str, process: subprocess.Popen, tmp_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if local_http.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("accord serve did not come up:\n" + (tmp_path / "serve.log").read_text())
