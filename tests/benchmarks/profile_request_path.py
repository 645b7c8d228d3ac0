"""Where a request's time goes (issue 22, point 1): Accord's bolt app and the bare one, for a slash command, a
button and a view submission. Not a test: run it by hand.

    python -m tests.benchmarks.profile_request_path [--database URL] [--count 2000] [--top 25] [--http]

In process (the default): each app dispatches signed BoltRequests (`App.dispatch`, as the WSGI adapter calls
it); it prints the mean time per request of each kind, then cProfile's top functions by their own time
(tottime) and by cumulated time for Accord's slash command.

`--http`: through the HTTP server, as Slack reaches it: the bare app and `accord serve` as processes of their
own (tests/benchmarks/serving.py), each request of each kind sent over one kept-alive connection when the
previous answer is complete; it prints the mean time per request and the server's own CPU time and context
switches per request (all its threads, from /proc).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import hmac
import io
import json
import logging
import pstats
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from bot.app import create_app
from bot.identity import BotIdentity
from bot.settings import load_settings
from commands.actor import Actor
from commands.rmp import setup
from storage.engine import make_engine, transaction
from storage.migrate import upgrade
from tests.benchmarks.bare_app import create_bare_app

SECRET = "profile-signing-secret"  # noqa: S105 - a secret of this script only
CHANNEL, USER, TEAM = "CPROFILE", "UPROFILE", "TPROFILE"


def _signed(body: str, content_type: str) -> BoltRequest:
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return BoltRequest(body=body, headers={"content-type": [content_type], "x-slack-request-timestamp": [stamp],
                                           "x-slack-signature": [signature]})


def slash(text: str, n: int) -> BoltRequest:
    """`/accord <text>` as Slack posts it."""
    return _signed(urlencode({
        "token": "t", "team_id": TEAM, "team_domain": "p", "channel_id": CHANNEL, "channel_name": "p",
        "user_id": USER, "user_name": "profiler", "command": "/accord", "text": text.format(n=n),
        "api_app_id": "AACCORD", "response_url": "http://127.0.0.1:9/r", "trigger_id": f"1.{n}.t"}),
        "application/x-www-form-urlencoded")


def _interaction(payload: dict[str, Any]) -> BoltRequest:
    return _signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def button(n: int) -> BoltRequest:
    """A click of the status message's "Record a win" button (it opens a form)."""
    return _interaction({
        "type": "block_actions", "team": {"id": TEAM}, "user": {"id": USER, "team_id": TEAM, "name": "profiler"},
        "channel": {"id": CHANNEL}, "trigger_id": f"1.{n}.b", "api_app_id": "AACCORD",
        "container": {"type": "message", "channel_id": CHANNEL, "message_ts": "1.1"},
        "actions": [{"type": "button", "action_id": "rmp.open_form:win", "block_id": "b",
                     "value": json.dumps({"channel": CHANNEL, "form": "win"}), "action_ts": "1.2"}]})


def submission(n: int) -> BoltRequest:
    """The win form sent: a win recorded and posted through the outbox."""
    return _interaction({
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": USER, "team_id": TEAM, "name": "profiler"},
        "api_app_id": "AACCORD", "trigger_id": f"1.{n}.v",
        "view": {"id": f"V{n}", "type": "modal", "callback_id": "wins.record", "private_metadata":
                 json.dumps({"channel": CHANNEL}), "state": {"values": {"text": {"value": {
                     "type": "plain_text_input", "value": f"Win number {n}"}}}}, "hash": "h"}})


def accord_app(database_url: str, api_url: str) -> App:
    """Accord's app on a migrated database with a relationship in the channel (the profiler in it)."""
    engine = make_engine(database_url)
    upgrade(engine)
    with transaction(engine) as db:
        setup.configure(db, actor=Actor(USER, TEAM, CHANNEL), now=datetime.now(UTC),
                        form=setup.SetupInput(name="Profile", party_1="North", party_2="South"))
    settings = load_settings({"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-profile",
                              "SLACK_API_URL": api_url, "DATABASE_URL": database_url})
    identity = BotIdentity(token="xoxb-profile", user_id="UACCORD", bot_id="BACCORD", team_id=TEAM)
    return create_app(settings, WebClient(token="xoxb-profile", base_url=api_url), engine=engine,
                      identity=identity)


def mean_ms(app: App, make: Callable[[int], BoltRequest], count: int) -> float:
    """The mean time of one dispatch, in milliseconds (the requests signed beforehand)."""
    requests = [make(n) for n in range(count)]
    for request in requests[:50]:  # warm up
        app.dispatch(request)
    started = time.perf_counter()
    for request in requests[50:]:
        response = app.dispatch(request)
        assert response.status == 200, (response.status, response.body)
    return (time.perf_counter() - started) * 1000 / (count - 50)


KINDS: dict[str, Callable[[int], BoltRequest]] = {
    "slash `/accord remind in 1h …`": lambda n: slash("remind in 1h profile {n}", n),
    "slash `/accord help`": lambda n: slash("help", n),
    "button (opens a form)": button, "view submission (records a win)": submission}


def over_http(url: str, count: int, folder: Path, fake: Any) -> None:
    """Each kind of request through the HTTP server, one at a time: mean ms, and the server's CPU and context
    switches per request."""
    import http.client

    from tests.benchmarks import serving

    accord_app(url, fake.api_url).dispatch(slash("help", 0))  # the schema and the relationship, made in process
    env = {**serving.accord_env(url, fake.api_url), "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-profile"}
    with serving.started("bare", serving.bare_app(), {"SLACK_SIGNING_SECRET": SECRET}, folder) as bare, \
            serving.started("accord", serving.accord_serve("--no-scheduler"), env, folder) as accord:
        runs = [("bare app, slash", bare, KINDS["slash `/accord remind in 1h …`"])]
        runs += [(f"accord, {name}", accord, make) for name, make in KINDS.items()]
        print(f"through the HTTP server, one at a time ({count} each), {url.split(':')[0]}: mean ms per request; "
              "the server's CPU ms and context switches per request")
        for name, server, make in runs:
            requests = [make(n) for n in range(count)]
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            for request in requests[:50]:  # warm-up
                _post(connection, request)
            before, started = server.usage(), time.perf_counter()
            for request in requests[50:]:
                _post(connection, request)
            took = (time.perf_counter() - started) * 1000 / (count - 50)
            used = serving.usage_per_request(before, server.usage(), count - 50)
            connection.close()
            print(f"  {name}: {took:.3f} ms; server CPU {used['cpu_ms']:.3f} ms, {used['switches']:.1f} switches")


def _post(connection: Any, request: BoltRequest) -> None:
    headers = {name: values[0] for name, values in request.headers.items()}
    connection.request("POST", "/slack/events", body=request.raw_body.encode(), headers=headers)
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a database URL (default: a new SQLite file)")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--http", action="store_true", help="through the HTTP server instead of in process")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the fake refuses the made-up trigger ids: the button's views.open says so
    folder = Path(tempfile.mkdtemp(prefix="accord-profile-"))
    url = args.database or f"sqlite:///{folder / 'accord.db'}"
    from bot.fakeslack import FakeSlack

    with FakeSlack(bot_token="xoxb-profile", team_id=TEAM, bot_user_id="UACCORD") as fake:
        fake.add_user(USER, TEAM, "profiler")
        fake.add_channel(CHANNEL, "profile", members=[USER])
        if args.http:
            over_http(url, args.count, folder, fake)
            return
        accord, bare = accord_app(url, fake.api_url), create_bare_app(SECRET)
        kinds = KINDS
        print(f"in-process dispatch, mean ms per request ({args.count - 50} each), {url.split(':')[0]}:")
        print(f"  bare app, slash:  {mean_ms(bare, lambda n: slash('remind in 1h profile {n}', n), args.count):.3f}")
        for name, make in kinds.items():
            print(f"  accord, {name}: {mean_ms(accord, make, args.count):.3f}")
        requests = [slash("remind in 1h profile {n}", n) for n in range(args.count)]
        profiler = cProfile.Profile()
        profiler.enable()
        for request in requests:
            accord.dispatch(request)
        profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        print(f"\n--- accord's `/accord remind`, by {order} ---")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


if __name__ == "__main__":
    main()
