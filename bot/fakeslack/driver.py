"""SlackDriver: sends correctly signed requests to a Bolt app, shaped exactly as Slack sends them."""

from __future__ import annotations

import itertools
import json
import ssl
import time
from functools import cache
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.fakeslack.fake import FakeSlack
from bot.fakeslack.validate import validate_blocks, validate_view

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every driver: httpx would load the CA bundle for each client (about 45 ms)."""
    return ssl.create_default_context()


def check_response(response: httpx.Response, view: dict[str, Any] | None = None) -> None:
    """Fail as Slack would when an app answers with broken blocks or views (ack bodies are checked too), or
    with form errors for blocks that are not inputs of the submitted `view`."""
    if response.status_code != 200 or not response.content or \
            not response.headers.get("content-type", "").startswith("application/json"):
        return
    body = response.json()
    errors: list[str] = []
    if isinstance(body, dict) and "blocks" in body:
        errors += validate_blocks(body["blocks"])
    if isinstance(body, dict) and body.get("response_action") in ("update", "push"):
        errors += validate_view(body.get("view"))
    if isinstance(body, dict) and body.get("response_action") == "errors" and view is not None:
        inputs = {b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"}
        errors += [f"errors[{key!r}] names no input block" for key in body.get("errors") or {} if key not in inputs]
    if errors:
        raise AssertionError(f"Slack would reject this response: {errors}")


class SlackDriver:
    """Plays Slack's side towards the app: slash commands, interactions and Events API callbacks."""

    def __init__(self, app_url: str, signing_secret: str, fake: FakeSlack, *, api_app_id: str = "AACCORD",
                 verification_token: str = "fake-verification-token",  # noqa: S107 - a placeholder
                 timeout: float = 10.0, enterprises: dict[str, str] | None = None) -> None:
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.fake = fake
        self.api_app_id = api_app_id
        self.verification_token = verification_token
        self._verifier = SignatureVerifier(signing_secret)
        self._client = httpx.Client(timeout=timeout, verify=_tls())
        self._events: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        # Enterprise Grid: workspace id -> its org's id (E…); payloads of a workspace in it carry the org's id
        self.enterprises: dict[str, str] = dict(enterprises or {})

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ---- low level ---------------------------------------------------------------------------------------
    def send(self, body: str | bytes, content_type: str, *, timestamp: int | None = None,
             signature: str | None = None, sign: bool = True,
             extra_headers: dict[str, str] | None = None) -> httpx.Response:
        """POST `body` to the app with Slack's headers and signature (unless sign=False)."""
        raw = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
        if sign or signature is not None:
            ts = str(timestamp if timestamp is not None else int(time.time()))
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = signature if signature is not None else \
                self._verifier.generate_signature(timestamp=ts, body=raw.decode()) or ""
        headers.update(extra_headers or {})
        return self._client.post(self.app_url, content=raw, headers=headers)

    def _post_form(self, fields: dict[str, str]) -> httpx.Response:
        response = self.send(urlencode(fields), "application/x-www-form-urlencoded")
        check_response(response)
        return response

    def _post_payload(self, payload: dict[str, Any]) -> httpx.Response:
        return self._post_form({"payload": json.dumps(payload)})

    # ---- payload pieces ----------------------------------------------------------------------------------
    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.fake.user(user_id)
        return {"id": user_id, "username": user["name"], "name": user["name"], "team_id": user["team_id"]}

    def _team(self, team_id: str) -> dict[str, Any]:
        team: dict[str, Any] = {"id": team_id, "domain": self.fake.team_domain(team_id)}
        if team_id in self.enterprises:
            team.update(enterprise_id=self.enterprises[team_id], enterprise_name=self.enterprises[team_id])
        return team

    def _enterprise(self, team_id: str) -> dict[str, Any] | None:
        """The `enterprise` of an interaction received by workspace `team_id`'s installation (None off Grid)."""
        org = self.enterprises.get(team_id)
        return {"id": org, "name": org} if org else None

    def _channel(self, channel_id: str) -> dict[str, Any]:
        return {"id": channel_id, "name": self.fake.channel(channel_id)["name"]}

    def _action_ts(self) -> str:
        return f"{time.time():.6f}"

    def _common(self, user_id: str, team_id: str) -> dict[str, Any]:
        return {"user": self._user(user_id), "api_app_id": self.api_app_id, "token": self.verification_token,
                "team": self._team(team_id), "enterprise": self._enterprise(team_id), "is_enterprise_install": False,
                "trigger_id": self.fake.new_trigger_id()}

    # ---- slash commands and interactivity ----------------------------------------------------------------
    def slash(self, user_id: str, channel_id: str, text: str, *, command: str = "/accord") -> httpx.Response:
        """A slash command invocation (form-encoded), with fresh response_url and trigger_id."""
        user = self.fake.user(user_id)
        org = self.enterprises.get(user["team_id"])
        return self._post_form({
            "token": self.verification_token, "team_id": user["team_id"],
            "team_domain": self.fake.team_domain(user["team_id"]), "channel_id": channel_id,
            "channel_name": self.fake.channel(channel_id)["name"], "user_id": user_id,
            "user_name": user["name"],
            "command": command, "text": text, "api_app_id": self.api_app_id, "is_enterprise_install": "false",
            "response_url": self.fake.new_response_url(channel=channel_id, user=user_id),
            "trigger_id": self.fake.new_trigger_id(),
            **({"enterprise_id": org, "enterprise_name": org} if org else {}),
        })

    def block_action(self, user_id: str, channel_id: str, action_id: str, *, value: str | None = None,
                     block_id: str = "b", message_ts: str | None = None,
                     container: dict[str, Any] | None = None,
                     view: dict[str, Any] | None = None, action_type: str = "button",
                     selected_option: dict[str, Any] | None = None, installation: str | None = None) -> httpx.Response:
        """A block_actions payload: on a stored message (message_ts), an ephemeral message, or a view.

        `installation`: the workspace whose installation of the app receives it (default the fake's home team)."""
        payload: dict[str, Any] = {"type": "block_actions",
                                   **self._common(user_id, installation or self.fake.team_id)}
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": action_type,
                                  "action_ts": self._action_ts()}
        if selected_option is not None:
            action["selected_option"] = selected_option
        else:
            action["value"] = value
        if view is not None:
            payload["container"] = container or {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
        else:
            payload["channel"] = self._channel(channel_id)
            if message_ts is not None:
                payload["container"] = container or {"type": "message", "message_ts": message_ts,
                                                     "channel_id": channel_id, "is_ephemeral": False}
                payload["message"] = self.fake.api_message(channel_id, message_ts)
            else:
                payload["container"] = container or {"type": "message", "message_ts": self.fake.new_ts(),
                                                     "channel_id": channel_id, "is_ephemeral": True}
            payload["response_url"] = self.fake.new_response_url(channel=channel_id, message_ts=message_ts,
                                                                 user=user_id)
        payload["state"] = {"values": {}}
        payload["actions"] = [action]
        return self._post_payload(payload)

    def view_submission(self, user_id: str, view: dict[str, Any], values: dict[str, Any], *,
                        installation: str | None = None) -> httpx.Response:
        """A view_submission payload; `values` is {block_id: {action_id: {"type": ..., "value": ...}}};
        `installation` is the workspace whose installation opened the modal (default the fake's home team)."""
        user = self.fake.user(user_id)
        full = {"id": f"V{next(self._ids):06d}SUBMIT", "team_id": self.fake.team_id, "type": "modal",
                "callback_id": "", "private_metadata": "", "hash": "", "blocks": [],
                "root_view_id": None, "previous_view_id": None, "app_id": self.fake.app_id,
                "bot_id": self.fake.bot_id, **view}
        full["root_view_id"] = full["root_view_id"] or full["id"]
        full["app_installed_team_id"] = installation or self.fake.team_id
        full["state"] = {"values": values}
        payload = {"type": "view_submission", **self._common(user_id, user["team_id"]), "view": full,
                   "response_urls": []}
        response = self.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        check_response(response, view=full)
        return response

    def message_shortcut(self, user_id: str, channel_id: str, callback_id: str,
                         message_ts: str) -> httpx.Response:
        """A message_action (message shortcut) payload on a stored message."""
        user = self.fake.user(user_id)
        payload = {"type": "message_action", **self._common(user_id, user["team_id"]),
                   "callback_id": callback_id, "action_ts": self._action_ts(), "message_ts": message_ts,
                   "channel": self._channel(channel_id),
                   "message": self.fake.api_message(channel_id, message_ts),
                   "response_url": self.fake.new_response_url(channel=channel_id, user=user_id)}
        return self._post_payload(payload)

    # ---- Events API --------------------------------------------------------------------------------------
    def app_mention(self, user_id: str, channel_id: str, text: str, *, thread_ts: str | None = None,
                    event_id: str | None = None, retry_num: int | None = None,
                    retry_reason: str = "http_timeout", installation: str | None = None,
                    user_team: str | None = None) -> httpx.Response:
        """An app_mention event_callback; a retry (retry_num) of a known event_id resends the same body.

        `installation`: the workspace whose installation of the app receives it (default the fake's home team);
        `user_team`: the event's `user_team` when not the user's workspace (on Enterprise Grid, their org's E…)."""
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        if retry_num is not None and event_id in self._events:
            return self.send(json.dumps(self._events[event_id]), "application/json", extra_headers=extra)
        user = self.fake.user(user_id)
        msg = self.fake.add_message(channel_id, user=user_id, text=text, thread_ts=thread_ts)
        event: dict[str, Any] = {"type": "app_mention", "user": user_id, "text": text, "ts": msg["ts"],
                                 "channel": channel_id, "event_ts": msg["ts"],
                                 "user_team": user_team or user["team_id"], "source_team": user["team_id"],
                                 "team": user["team_id"]}
        if thread_ts:
            event["thread_ts"] = thread_ts
        event_id = event_id or f"Ev{next(self._ids):06d}{int(time.time())}"
        body = {**self._event_body(event, installation or self.fake.team_id, event_id),
                "is_ext_shared_channel": bool(self.fake.channel(channel_id)["is_ext_shared"]),
                "event_context": f"4-fake-{event_id}"}
        self._events[event_id] = body
        return self.send(json.dumps(body), "application/json", extra_headers=extra)

    def _event_body(self, event: dict[str, Any], team_id: str, event_id: str) -> dict[str, Any]:
        """An event_callback envelope for the app's installation in workspace `team_id` (and its Grid org)."""
        org = self.enterprises.get(team_id)
        return {"token": self.verification_token, "team_id": team_id, "api_app_id": self.api_app_id,
                **({"enterprise_id": org} if org else {}),
                "event": event, "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
                "authorizations": [{"enterprise_id": org, "team_id": team_id,
                                    "user_id": self.fake.bot_user_for(team_id), "is_bot": True,
                                    "is_enterprise_install": False}]}

    def user_deactivated(self, user_id: str) -> httpx.Response:
        """Deactivate `user_id` (as a workspace admin does) and send the user_change event Slack sends to their
        workspace: its `user` is the users.info object, `deleted: true`."""
        user = self.fake.deactivate_user(user_id)
        event = {"type": "user_change", "user": user, "cache_ts": int(time.time()), "event_ts": f"{time.time():.6f}"}
        return self.send(json.dumps(self._event_body(event, user["team_id"], f"Ev{next(self._ids):06d}C")),
                         "application/json")

    def app_uninstalled(self, team_id: str) -> httpx.Response:
        """The app_uninstalled event Slack sends when workspace `team_id` removes the app (its tokens revoked)."""
        self.fake.revoke_tokens(team_id)
        event = {"type": "app_uninstalled", "event_ts": f"{time.time():.6f}"}
        return self.send(json.dumps(self._event_body(event, team_id, f"Ev{next(self._ids):06d}U")),
                         "application/json")

    def tokens_revoked(self, team_id: str) -> httpx.Response:
        """The tokens_revoked event Slack sends when workspace `team_id`'s bot token is revoked (revoked first)."""
        self.fake.revoke_tokens(team_id)
        event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [self.fake.bot_user_for(team_id)]},
                 "event_ts": f"{time.time():.6f}"}
        return self.send(json.dumps(self._event_body(event, team_id, f"Ev{next(self._ids):06d}R")),
                         "application/json")

    def url_verification(self, challenge: str) -> httpx.Response:
        """The url_verification handshake Slack sends when the Request URL is saved."""
        body = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return self.send(json.dumps(body), "application/json")
