"""OAuth distribution: installs in two workspaces through the fake Slack's oauth.v2.access, each team's requests
and posts with its own installation's token, uninstall and token revocation, and a single-workspace app with no
install routes. The real app over HTTP, signed requests, both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.fakeslack import FakeSlack
from bot.fakeslack.modal_filling import fill
from bot.ids import Act
from bot.settings import DEFAULT_SCOPES
from commands import outgoing
from storage import slack_oauth
from storage.engine import transaction
from storage.models import WorkItem
from storage.schema import metadata
from storage.utc import utcnow
from tests import local_http
from tests.harness import CHANNEL, HOME, OTHER_CHANNEL, PARTNER, Harness
from tests.scenarios.plan_steps import SETUP, latest_view

REINSTALL = "your installation with this app is no longer available"  # bolt's words for an unknown installation


@pytest.fixture
def distributed(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    """The real app distributed with OAuth (no SLACK_BOT_TOKEN), nothing installed yet."""
    with Harness.start(database_url, workdir=tmp_path, oauth=True) as running:
        yield running


# ---- the installer's browser ---------------------------------------------------------------------------------
def begin_install(harness: Harness) -> tuple[str, str]:
    """GET /slack/install: the state in Slack's authorize URL and the cookie the browser keeps."""
    response = local_http.get(harness.url + "/slack/install", follow_redirects=False)
    assert response.status_code == 302, response.text
    state = parse_qs(urlsplit(response.headers["location"]).query)["state"][0]
    cookie = response.headers["set-cookie"].split(";")[0]
    return state, cookie


def redirect(harness: Harness, *, code: str, state: str, cookie: str | None) -> httpx.Response:
    """Slack sends the browser back to GET /slack/oauth_redirect with the code and the state."""
    return local_http.get(harness.url + "/slack/oauth_redirect", params={"code": code, "state": state},
                     headers={"Cookie": cookie} if cookie else {})


def install(harness: Harness, team: str, user: str) -> str:
    """`user` installs Accord in workspace `team`; returns the bot token Slack issued."""
    state, cookie = begin_install(harness)
    response = redirect(harness, code=harness.fake.authorize_code(team, user), state=state, cookie=cookie)
    assert response.status_code == 200 and "Thank you!" in response.text, response.text
    return harness.fake.bot_tokens(team)[-1]


def stored(harness: Harness, table: str) -> list[dict[str, Any]]:
    """The rows of one of slack_sdk's tables."""
    with harness.engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(metadata.tables[table])).mappings()]


# ---- requests of each team -----------------------------------------------------------------------------------
def set_up(harness: Harness, user: str, channel: str, installation: str) -> None:
    """`user` runs `/accord setup` in `channel` and submits the form (opened by `installation`'s bot)."""
    before = harness.fake.views_opened
    assert harness.driver.slash(user, channel, "setup").status_code == 200
    assert harness.fake.views_opened == before + 1
    view = latest_view(harness)
    response = harness.driver.view_submission(user, view, fill(view, SETUP), installation=installation)
    assert response.status_code == 200 and not response.content, response.text


def tokens_used(harness: Harness, method: str, channel: str) -> set[str | None]:
    """The tokens of the successful calls of `method` to `channel`."""
    return {call.token for call in harness.fake.calls_to(method) if call.ok and call.args.get("channel") == channel}


def test_install_redirects_to_slacks_authorize_page_with_a_signed_state_in_a_cookie(distributed: Harness) -> None:
    response = local_http.get(distributed.url + "/slack/install", follow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = parse_qs(location.query)
    assert query["client_id"] == [distributed.fake.client_id]
    assert query["scope"] == [",".join(DEFAULT_SCOPES)]
    state = query["state"][0]
    stored_state, _, signature = state.rpartition(".")
    assert len(signature) == 64  # HMAC-SHA256 with SLACK_STATE_SECRET
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"slack-app-oauth-state={state};") and "HttpOnly" in cookie and "Secure" in cookie
    assert [row["state"] for row in stored(distributed, slack_oauth.OAUTH_STATES)] == [stored_state]
    assert distributed.fake.calls == []  # nothing asked of Slack yet


def test_the_redirect_stores_the_installation_once_and_refuses_bad_or_replayed_states(distributed: Harness) -> None:
    fake = distributed.fake
    state, cookie = begin_install(distributed)
    stored_state, _, signature = state.rpartition(".")
    forged = f"{stored_state}.{'0' * 64}"
    refused = [
        (dict(state=state, cookie=None), 400),  # another browser: no cookie
        (dict(state=forged, cookie=f"slack-app-oauth-state={forged}"), 401),  # not signed with the state secret
        (dict(state="not-issued", cookie="slack-app-oauth-state=not-issued"), 401),
    ]
    for arguments, status in refused:
        response = redirect(distributed, code=fake.authorize_code(HOME, "UALICE"), **arguments)
        assert response.status_code == status, (arguments, response.text)
        assert "Oops, Something Went Wrong!" in response.text
    assert fake.calls_to("oauth.v2.access") == []
    assert stored(distributed, slack_oauth.INSTALLATIONS) == [] and stored(distributed, slack_oauth.BOTS) == []

    response = redirect(distributed, code=fake.authorize_code(HOME, "UALICE"), state=state, cookie=cookie)
    assert response.status_code == 200 and "Thank you!" in response.text
    [token] = fake.bot_tokens(HOME)[1:]  # a fresh token beside the fake's default one
    [installation] = stored(distributed, slack_oauth.INSTALLATIONS)
    assert (installation["team_id"], installation["user_id"], installation["bot_token"]) == (HOME, "UALICE", token)
    assert installation["client_id"] == fake.client_id and installation["enterprise_id"] is None
    [bot] = stored(distributed, slack_oauth.BOTS)
    assert (bot["team_id"], bot["bot_token"], bot["bot_user_id"]) == (HOME, token, fake.bot_user_for(HOME))
    [exchange] = fake.calls_to("oauth.v2.access")
    assert exchange.ok and exchange.token is None  # the client id and secret authenticate it
    assert [call.token for call in fake.calls_to("auth.test")] == [token]  # bolt learns the bot id

    replayed = redirect(distributed, code=fake.authorize_code(HOME, "UALICE"), state=state, cookie=cookie)
    assert replayed.status_code == 401
    assert len(fake.calls_to("oauth.v2.access")) == 1 and len(stored(distributed, slack_oauth.INSTALLATIONS)) == 1


def test_each_team_is_authorised_and_posted_to_with_its_own_installation(distributed: Harness) -> None:
    home, partner = install(distributed, HOME, "UALICE"), install(distributed, PARTNER, "UBOB")
    fake = distributed.fake
    set_up(distributed, "UALICE", CHANNEL, HOME)  # Northwind's relationship, in the channel Alice set up
    set_up(distributed, "UBOB", OTHER_CHANNEL, PARTNER)  # and one Bob's organisation set up
    assert [call.token for call in fake.calls_to("views.open")] == [home, partner]  # the forms, on the request path

    for user, channel in (("UALICE", CHANNEL), ("UBOB", OTHER_CHANNEL)):
        answer = distributed.driver.slash(user, channel, f"remind in 1m hello from {user}")
        assert "I will remind this channel" in answer.json()["text"], answer.text
    assert distributed.driver.app_mention("UBOB", OTHER_CHANNEL, "<@UACCORD> status",
                                          installation=PARTNER).status_code == 200
    distributed.tick(utcnow() + timedelta(minutes=2))

    texts = {channel: [m["text"] for m in fake.messages(channel)] for channel in (CHANNEL, OTHER_CHANNEL)}
    assert "Reminder: hello from UALICE" in texts[CHANNEL] and "Reminder: hello from UBOB" in texts[OTHER_CHANNEL]
    assert tokens_used(distributed, "chat.postMessage", CHANNEL) == {home}
    assert tokens_used(distributed, "chat.postMessage", OTHER_CHANNEL) == {partner}
    assert tokens_used(distributed, "chat.postEphemeral", OTHER_CHANNEL) == {partner}  # Bob's @accord status
    assert fake.bot_token not in {call.token for call in fake.calls}  # no single-workspace token anywhere


def test_direct_messages_go_with_the_persons_own_installation(distributed: Harness) -> None:
    home, partner = install(distributed, HOME, "UALICE"), install(distributed, PARTNER, "UBOB")
    set_up(distributed, "UALICE", CHANNEL, HOME)
    join = distributed.driver.block_action("UBOB", CHANNEL, Act.JOIN, value=json.dumps({"channel": CHANNEL}))
    assert join.status_code == 200
    with transaction(distributed.engine) as db:
        for user in ("UALICE", "UBOB"):
            outgoing.direct_message(db, key=f"dm:{user}", user=user, fallback_channel=CHANNEL, view="raw",
                                  data={"text": f"Hello {user}"}, now=utcnow())
    distributed.sender.drain()
    posted = {call.args["channel"]: call for call in distributed.fake.calls_to("chat.postMessage")}
    # each person's own organisation's bot posts to them (their id: the DM): no external user, so no fallback
    assert (posted["UALICE"].token, posted["UBOB"].token) == (home, partner)
    assert posted["UALICE"].ok and posted["UBOB"].ok
    assert not [e for e in distributed.fake.ephemerals(CHANNEL) if e["text"].startswith("Hello")]
    for user in ("UALICE", "UBOB"):
        dm = posted[user].response["channel"]
        assert dm == distributed.fake.dm_with(user)
        assert [m["text"] for m in distributed.fake.messages(dm)] == [f"Hello {user}"]


def test_uninstall_removes_that_organisations_installation_and_the_other_carries_on(distributed: Harness) -> None:
    install(distributed, HOME, "UALICE")
    partner = install(distributed, PARTNER, "UBOB")
    fake, driver = distributed.fake, distributed.driver
    set_up(distributed, "UALICE", CHANNEL, HOME)
    assert driver.block_action("UBOB", CHANNEL, Act.JOIN, value=json.dumps({"channel": CHANNEL})).status_code == 200
    assert "I will remind" in driver.slash("UALICE", CHANNEL, "remind in 1m before the uninstall").json()["text"]
    distributed.sender.drain()

    assert driver.app_uninstalled(HOME).status_code == 200
    assert {row["team_id"] for row in stored(distributed, slack_oauth.INSTALLATIONS)} == {PARTNER}
    assert {row["team_id"] for row in stored(distributed, slack_oauth.BOTS)} == {PARTNER}

    # Alice's workspace no longer has Accord: bolt tells her so through the response URL, and nothing happens
    items = distributed.count(WorkItem)
    answer = driver.slash("UALICE", CHANNEL, "remind in 1m after the uninstall")
    assert answer.status_code == 200 and answer.content == b""
    assert REINSTALL in fake.response_url_posts[-1]["text"]
    mention = driver.app_mention("UALICE", CHANNEL, "<@UACCORD> status", installation=HOME)
    assert mention.status_code == 200 and REINSTALL in mention.text
    assert distributed.count(WorkItem) == items

    # Bob's still does, and the shared channel's posts now go with his organisation's installation
    assert "I will remind" in driver.slash("UBOB", CHANNEL, "remind in 1m from the partner").json()["text"]
    fake.reset_calls()
    distributed.tick(utcnow() + timedelta(minutes=2))
    reminders = [m["text"] for m in fake.messages(CHANNEL) if m["text"].startswith("Reminder")]
    assert sorted(reminders) == ["Reminder: before the uninstall", "Reminder: from the partner"]
    assert tokens_used(distributed, "chat.postMessage", CHANNEL) == {partner}


def test_a_revoked_bot_token_removes_that_organisations_installation(distributed: Harness) -> None:
    home = install(distributed, HOME, "UALICE")
    install(distributed, PARTNER, "UBOB")
    assert distributed.driver.tokens_revoked(PARTNER).status_code == 200
    assert {row["team_id"] for row in stored(distributed, slack_oauth.INSTALLATIONS)} == {HOME}
    assert {row["team_id"] for row in stored(distributed, slack_oauth.BOTS)} == {HOME}

    refused = distributed.driver.slash("UBOB", OTHER_CHANNEL, "setup")
    assert refused.status_code == 200 and REINSTALL in distributed.fake.response_url_posts[-1]["text"]
    set_up(distributed, "UALICE", CHANNEL, HOME)  # the other organisation is untouched
    assert [call.token for call in distributed.fake.calls_to("views.open")] == [home]


def test_a_single_workspace_app_serves_no_install_routes(harness: Harness) -> None:
    assert not harness.settings.distributed
    for path in ("/slack/install", "/slack/oauth_redirect"):
        assert local_http.get(harness.url + path, follow_redirects=False).status_code == 404


def test_the_fakes_oauth_v2_access_checks_the_app_and_takes_each_code_once(fake: FakeSlack) -> None:
    client = WebClient(base_url=fake.api_url)
    code = fake.authorize_code(PARTNER, "UBOB", redirect_uri="https://accord.example.com/slack/oauth_redirect")
    for client_id, secret, error in (("nope", fake.client_secret, "invalid_client_id"),
                                     (fake.client_id, "nope", "bad_client_secret")):
        with pytest.raises(SlackApiError) as refused:
            client.oauth_v2_access(client_id=client_id, client_secret=secret, code=code)
        assert refused.value.response["error"] == error
    with pytest.raises(SlackApiError) as wrong_redirect:
        client.oauth_v2_access(client_id=fake.client_id, client_secret=fake.client_secret, code=code)
    assert wrong_redirect.value.response["error"] == "bad_redirect_uri"  # and the code is spent

    code = fake.authorize_code(PARTNER, "UBOB")
    granted = client.oauth_v2_access(client_id=fake.client_id, client_secret=fake.client_secret, code=code)
    assert granted["team"] == {"id": PARTNER, "name": "Partner"} and granted["authed_user"] == {"id": "UBOB"}
    assert granted["enterprise"] is None and granted["bot_user_id"] == fake.bot_user_for(PARTNER)
    token = granted["access_token"]
    assert fake.bot_tokens(PARTNER) == [token]
    assert client.auth_test(token=token)["team_id"] == PARTNER
    assert client.auth_test(token=fake.bot_token)["team_id"] == HOME  # the default token still works
    with pytest.raises(SlackApiError, match="invalid_code"):
        client.oauth_v2_access(client_id=fake.client_id, client_secret=fake.client_secret, code=code)
    assert fake.revoke_tokens(PARTNER) == [token]
    with pytest.raises(SlackApiError, match="invalid_auth"):
        client.auth_test(token=token)
