"""manifest.yaml declares what the code listens for and the scopes it uses."""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from bot.settings import DEFAULT_SCOPES
from tests.harness import CHANNEL, Harness

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yaml"


def _manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def test_manifest_declares_the_command_interactivity_events_and_scopes() -> None:
    manifest = _manifest()
    features, settings = manifest["features"], manifest["settings"]
    [command] = features["slash_commands"]
    assert command["command"] == "/accord" and command["url"].endswith("/slack/events")
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert "app_mention" in settings["event_subscriptions"]["bot_events"]
    assert settings["socket_mode_enabled"] is False
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "app_mentions:read", "users:read", "channels:history"} <= scopes
    assert len(manifest["display_information"]["name"]) <= 35


def test_manifest_fits_oauth_distribution() -> None:
    manifest = _manifest()
    # an OAuth install asks for the manifest's bot scopes, and Slack sends the installer back to the redirect URL
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == DEFAULT_SCOPES
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    assert redirect.endswith("/slack/oauth_redirect")
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])


def test_every_event_the_manifest_subscribes_to_has_a_listener(harness: Harness) -> None:
    for n, event_type in enumerate(_manifest()["settings"]["event_subscriptions"]["bot_events"]):
        body = {"type": "event_callback", "team_id": "T0HOME", "api_app_id": "AACCORD", "event_id": f"EvM{n}",
                "event_time": int(time.time()),
                "event": {"type": event_type, "user": "UALICE", "channel": CHANNEL, "tab": "home",
                          "text": "<@UACCORD> help", "ts": f"{time.time():.6f}", "event_ts": f"{time.time():.6f}"}}
        response = harness.driver.send(json.dumps(body), "application/json")
        assert response.status_code == 200, (event_type, response.status_code)  # bolt answers 404 when unhandled


def test_the_messages_tab_is_read_only_unless_direct_messages_are_answered() -> None:
    manifest = _manifest()
    app_home = manifest["features"]["app_home"]
    assert app_home["home_tab_enabled"] is True
    writable = app_home.get("messages_tab_enabled") is True \
        and app_home.get("messages_tab_read_only_enabled") is not True
    # a writable messages tab takes direct messages: only with message.im subscribed does Accord hear them
    assert not writable or "message.im" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert app_home["messages_tab_enabled"] is True and app_home["messages_tab_read_only_enabled"] is True
