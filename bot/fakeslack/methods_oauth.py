"""The fake's OAuth side: one-time codes, oauth.v2.access handing out a bot token per workspace, revocation.

A test plays the installer's browser: `FakeSlack.authorize_code(team, user)` stands for the person approving the
install on Slack's authorize page, and the app exchanges the code with oauth.v2.access (client id and secret in
HTTP Basic auth, as slack_sdk sends them, or in the form).
"""

from __future__ import annotations

import base64
import time
from typing import Any

from bot.fakeslack.state import ApiError, BotBinding, SlackState

CODE_SECONDS = 600
DEFAULT_SCOPES = "app_mentions:read,channels:history,channels:read,chat:write,commands,users:read"


def basic_credentials(authorization: str) -> dict[str, str]:
    """client_id and client_secret from an `Authorization: Basic …` header (empty when there is none)."""
    if not authorization.startswith("Basic "):
        return {}
    try:
        client_id, _, secret = base64.b64decode(authorization[len("Basic "):]).decode().partition(":")
    except ValueError:
        return {}
    return {"client_id": client_id, "client_secret": secret}


def bot_of(st: SlackState, team_id: str) -> BotBinding:
    """The app's bot user in workspace `team_id` (the home workspace's is the fake's own bot user)."""
    if team_id == st.team_id:
        return BotBinding(team_id, st.bot_user_id, st.bot_id)
    suffix = team_id[1:] if team_id.startswith("T") else team_id
    return BotBinding(team_id, f"U{suffix}BOT", f"B{suffix}BOT")


def new_code(st: SlackState, team_id: str, user_id: str, *, scopes: str, redirect_uri: str | None) -> str:
    """A one-time code, as Slack appends to the redirect URL once `user_id` approved the install (lock held)."""
    code = f"{team_id}.{st.new_id('C')}.code"
    st.oauth_codes[code] = {"team_id": team_id, "user_id": user_id, "scopes": scopes, "redirect_uri": redirect_uri,
                            "expires": time.monotonic() + CODE_SECONDS}
    return code


def oauth_v2_access(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """oauth.v2.access: the code exchanged (once) for a fresh bot token of the code's workspace."""
    if args.get("client_id") != st.client_id:
        raise ApiError("invalid_client_id")
    if args.get("client_secret") != st.client_secret:
        raise ApiError("bad_client_secret")
    grant = st.oauth_codes.pop(str(args.get("code") or ""), None)
    if grant is None or grant["expires"] < time.monotonic():
        raise ApiError("invalid_code")
    if grant["redirect_uri"] is not None and args.get("redirect_uri") != grant["redirect_uri"]:
        raise ApiError("bad_redirect_uri")
    team_id = grant["team_id"]
    bot = bot_of(st, team_id)
    if bot.bot_user_id not in st.users:
        st.users[bot.bot_user_id] = {"id": bot.bot_user_id, "team_id": team_id, "name": "accord",
                                     "real_name": "Accord", "tz": None, "is_bot": True}
    token = f"xoxb-{team_id}-{st.new_id('')}-fake"
    st.tokens[token] = bot
    team = st.teams.get(team_id, {"id": team_id, "name": team_id})
    return {"ok": True, "app_id": st.app_id, "authed_user": {"id": grant["user_id"]}, "scope": grant["scopes"],
            "token_type": "bot", "access_token": token, "bot_user_id": bot.bot_user_id,
            "team": {"id": team_id, "name": team["name"]}, "enterprise": None, "is_enterprise_install": False}


def revoke(st: SlackState, team_id: str) -> list[str]:
    """Revoke every bot token of workspace `team_id` (lock held); calls with them then answer invalid_auth."""
    revoked = [token for token, bot in st.tokens.items() if bot.team_id == team_id]
    for token in revoked:
        del st.tokens[token]
    return revoked


OAUTH_METHODS = {"oauth.v2.access": oauth_v2_access}
