"""FakeSlack: the public face of the fake Slack Web API (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from bot.fakeslack import methods_oauth, tiers
from bot.fakeslack.server import FakeSlackServer
from bot.fakeslack.state import Call, Fault, Monotonic, SlackState, snapshot
from bot.wait_clock import RealClock


class FakeSlack:
    """A fake Slack workspace served over real HTTP; point slack_sdk's WebClient at `api_url`."""

    def __init__(self, bot_token: str = "xoxb-test-token", team_id: str = "T0HOME", team_name: str = "Home",  # noqa: S107
                 bot_user_id: str = "UACCORD", bot_id: str = "BACCORD", *, app_id: str = "AACCORD",
                 bot_name: str = "accord", trigger_ttl: float = 3.0, host: str = "127.0.0.1",
                 port: int = 0, tiers: bool = True, marketplace: bool = False) -> None:
        """`tiers`: Slack's published rate limits are enforced (bot.fakeslack.tiers; on unless a test needs them
        off); `marketplace`: conversations.history and .replies at the Marketplace tier (Tier 3) rather than the
        limit of an app distributed outside the Marketplace (1 a minute, 15 messages a call)."""
        self._state = SlackState(bot_token=bot_token, team_id=team_id, bot_user_id=bot_user_id, bot_id=bot_id,
                                 app_id=app_id, trigger_ttl=trigger_ttl)
        self._state.tiers_enabled, self._state.marketplace = tiers, marketplace
        self._host, self._port = host, port
        self._server: FakeSlackServer | None = None
        self._thread: threading.Thread | None = None
        self.add_team(team_id, team_name)
        self.add_user(bot_user_id, team_id, bot_name, real_name=bot_name.capitalize(), tz=None, is_bot=True)

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Start the HTTP server in a daemon thread (idempotent); returns self."""
        if self._server is not None:
            return self
        self._server = FakeSlackServer((self._host, self._port), self._state)
        self._state.base_url = self.base_url
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fakeslack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down and join its thread."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port> (the server must be started)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL, with trailing slash, for WebClient(base_url=...)."""
        return f"{self.base_url}/api/"

    # ---- identity ----------------------------------------------------------------------------------------
    @property
    def bot_token(self) -> str:
        """The default (home workspace's) bot token; OAuth installs add one per workspace (`bot_tokens`)."""
        return self._state.bot_token

    @property
    def team_id(self) -> str:
        """The home (installing) team id."""
        return self._state.team_id

    @property
    def bot_user_id(self) -> str:
        """The bot's user id."""
        return self._state.bot_user_id

    @property
    def bot_id(self) -> str:
        """The bot id (B...)."""
        return self._state.bot_id

    @property
    def app_id(self) -> str:
        """The app id (A...)."""
        return self._state.app_id

    @property
    def allow_external_dm(self) -> bool:
        """When True, conversations.open accepts users from other teams."""
        return self._state.allow_external_dm

    @allow_external_dm.setter
    def allow_external_dm(self, value: bool) -> None:
        with self._state.lock:
            self._state.allow_external_dm = value

    # ---- OAuth installs ----------------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        """The app's client id, which oauth.v2.access expects."""
        return self._state.client_id

    @property
    def client_secret(self) -> str:
        """The app's client secret, which oauth.v2.access expects."""
        return self._state.client_secret

    def authorize_code(self, team_id: str, user_id: str, *, scopes: str = methods_oauth.DEFAULT_SCOPES,
                       redirect_uri: str | None = None) -> str:
        """The one-time code Slack hands the app's redirect URL once `user_id` approved installing it in `team_id`
        (with `redirect_uri`, oauth.v2.access must name the same one)."""
        with self._state.lock:
            return methods_oauth.new_code(self._state, team_id, user_id, scopes=scopes, redirect_uri=redirect_uri)

    def bot_tokens(self, team_id: str) -> list[str]:
        """The valid bot tokens of the app in workspace `team_id`, oldest first."""
        with self._state.lock:
            return [token for token, bot in self._state.tokens.items() if bot.team_id == team_id]

    def bot_user_for(self, team_id: str) -> str:
        """The app's bot user in workspace `team_id`."""
        return methods_oauth.bot_of(self._state, team_id).bot_user_id

    def revoke_tokens(self, team_id: str) -> list[str]:
        """Revoke the app's bot tokens in `team_id` (as an uninstall or a revocation does); returns them."""
        with self._state.lock:
            return methods_oauth.revoke(self._state, team_id)

    # ---- seeding -----------------------------------------------------------------------------------------
    def add_team(self, team_id: str, name: str) -> None:
        """Add (or rename) a team."""
        with self._state.lock:
            self._state.teams[team_id] = {"id": team_id, "name": name}

    def add_user(self, user_id: str, team_id: str, name: str, *, real_name: str | None = None,
                 tz: str | None = "Europe/London", is_bot: bool = False) -> None:
        """Add a user; tz=None leaves tz out of users.info (as for many Slack Connect users)."""
        with self._state.lock:
            if team_id not in self._state.teams:
                self._state.teams[team_id] = {"id": team_id, "name": team_id}
            self._state.users[user_id] = {"id": user_id, "team_id": team_id, "name": name,
                                          "real_name": real_name or name, "tz": tz, "is_bot": is_bot}

    def deactivate_user(self, user_id: str) -> dict[str, Any]:
        """Deactivate a user, as a workspace admin does: users.info then answers `deleted: true`; returns the
        user object Slack sends in the `user_change` event."""
        from bot.fakeslack.methods_misc import users_info

        with self._state.lock:
            self._state.users[user_id]["deleted"] = True
            return users_info(self._state, {"user": user_id})["user"]

    def add_channel(self, channel_id: str, name: str, *, members: tuple[str, ...] | list[str] = (),
                    is_shared: bool = False, bot_member: bool = True, is_ext_shared: bool | None = None,
                    is_private: bool = False) -> None:
        """Add a channel; the bot is a member (and listed in members) unless bot_member=False."""
        with self._state.lock:
            member_list = list(dict.fromkeys(members))
            if bot_member and self.bot_user_id not in member_list:
                member_list.append(self.bot_user_id)
            self._state.channels[channel_id] = {
                "id": channel_id, "name": name, "members": member_list, "is_shared": is_shared,
                "is_ext_shared": is_shared if is_ext_shared is None else is_ext_shared,
                "is_private": is_private,
                "is_im": False, "is_mpim": False, "bot_member": bot_member, "created": int(time.time()),
            }
            self._state.messages.setdefault(channel_id, [])

    def add_member(self, channel_id: str, user_id: str) -> None:
        """Add a user to a channel's members."""
        with self._state.lock:
            members = self._state.channels[channel_id]["members"]
            if user_id not in members:
                members.append(user_id)

    def add_message(self, channel_id: str, *, user: str, text: str, blocks: list[Any] | None = None,
                    thread_ts: str | None = None, ts: str | None = None) -> dict[str, Any]:
        """Store a message as if `user` had posted it (for seeding); returns a copy."""
        with self._state.lock:
            if channel_id not in self._state.channels:
                raise KeyError(f"unknown channel {channel_id}")
            msg = self._state.store_message(channel_id, user=user, text=text, blocks=blocks,
                                            thread_ts=thread_ts, ts=ts)
            return snapshot(msg)

    # ---- inspection --------------------------------------------------------------------------------------
    def _snapshot(self, value: Any) -> Any:
        with self._state.lock:
            return snapshot(value)

    @property
    def calls(self) -> list[Call]:
        """All recorded calls, oldest first (a snapshot copy)."""
        with self._state.lock:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method, including failed ones."""
        return [c for c in self.calls if c.method == method]

    def dm_channels(self) -> dict[str, str]:
        """The app's DMs with one person: channel id -> the person (however each was opened: conversations.open,
        or a post to the person's id)."""
        with self._state.lock:
            return {channel: next(iter(users)) for users, channel in self._state.dms.items() if len(users) == 1}

    def dm_with(self, user: str) -> str | None:
        """The channel of the app's DM with `user`, if there is one."""
        return {person: channel for channel, person in self.dm_channels().items()}.get(user)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages currently in a channel, oldest first (ephemeral ones excluded)."""
        return self._snapshot(self._state.messages.get(channel, []))

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One stored message (copy) or None."""
        with self._state.lock:
            return snapshot(self._state.message(channel, ts))

    def api_message(self, channel: str, ts: str) -> dict[str, Any]:
        """A stored message in Web API shape (as in interaction payloads); KeyError if unknown."""
        with self._state.lock:
            msg = self._state.message(channel, ts)
            if msg is None:
                raise KeyError(f"no message {ts} in {channel}")
            return snapshot(self._state.api_message(msg))

    def ephemerals(self, channel: str) -> list[dict[str, Any]]:
        """chat.postEphemeral messages sent to a channel."""
        return self._snapshot(self._state.ephemerals.get(channel, []))

    def user(self, user_id: str) -> dict[str, Any]:
        """A seeded user (id, team_id, name, real_name, tz, is_bot); KeyError if unknown."""
        return self._snapshot(self._state.users[user_id])

    def channel(self, channel_id: str) -> dict[str, Any]:
        """A seeded channel or DM (id, name, members, is_shared, ...); KeyError if unknown."""
        return self._snapshot(self._state.channels[channel_id])

    def team_domain(self, team_id: str) -> str:
        """The domain of a team, as used in payloads."""
        with self._state.lock:
            return self._state.team_domain(team_id)

    @property
    def response_url_posts(self) -> list[dict[str, Any]]:
        """Accepted bodies POSTed to response URLs, each with "response_url_id"."""
        return self._snapshot(self._state.response_url_posts)

    @property
    def open_views(self) -> dict[str, dict[str, Any]]:
        """Modals opened/updated, by view id, in the order they were opened."""
        return self._snapshot(self._state.open_views)

    @property
    def views_opened(self) -> int:
        """How many modals have been opened so far (cheaper than `len(open_views)`, which copies them all)."""
        with self._state.lock:
            return len(self._state.open_views)

    def last_view(self) -> dict[str, Any] | None:
        """The modal opened last, as it is now (a copy), or None."""
        with self._state.lock:
            return snapshot(next(reversed(self._state.open_views.values()), None))

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """Published Home tabs, by user id."""
        return self._snapshot(self._state.home_views)

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        """Files by id: name, title, bytes (None until uploaded), channel, length."""
        return self._snapshot(self._state.files)

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until at least `count` successful calls of `method` were recorded; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls_to(method)
            good = [c for c in calls if c.ok]
            if len(good) >= count:
                return good
            if time.monotonic() >= deadline:
                failures = [c.response.get("error") for c in calls if not c.ok]
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} successful {method} call(s): "
                    f"got {len(good)} successful of {len(calls)} (errors: {failures})")
            time.sleep(0.01)

    def reset_calls(self) -> None:
        """Forget recorded calls (state is kept)."""
        with self._state.lock:
            self._state.calls.clear()

    # ---- faults ------------------------------------------------------------------------------------------
    def inject(self, method: str, *, status: int | None = None, error: str | None = None,
               retry_after: int | None = None, delay: float | None = None, times: int | None = 1,
               probability: float | None = None, seed: int | None = None, drop: bool = False,
               hold: float | None = None) -> None:
        """Inject a fault into the next `times` calls (None = all) of `method` ("*" = any API method).

        `delay` waits before the call is processed; `hold` processes it (a message is stored and
        visible) and then waits before answering, as when the caller is still waiting for an answer
        Slack has already acted on. `drop=True` processes the call and then closes the connection
        without an answer, as when a network fails after Slack has acted.
        """
        if probability is not None and not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within 0..1")
        fault = Fault(method=method, status=status, error=error, retry_after=retry_after, delay=delay,
                      times=times, probability=probability, seed=seed, drop=drop, hold=hold)
        with self._state.lock:
            self._state.faults.append(fault)

    def faults_fired(self) -> int:
        """How many calls the injected faults (still in place) have hit."""
        with self._state.lock:
            return sum(fault.fired for fault in self._state.faults)

    def clear_faults(self) -> None:
        """Remove all injected faults."""
        with self._state.lock:
            self._state.faults.clear()

    # ---- rate limits ------------------------------------------------------------------------------------
    @property
    def tiers_enabled(self) -> bool:
        """Whether Slack's published rate limits are enforced (on by default; see bot.fakeslack.tiers)."""
        return self._state.tiers_enabled

    @tiers_enabled.setter
    def tiers_enabled(self, value: bool) -> None:
        with self._state.lock:
            self._state.tiers_enabled = value
            self._state.windows.clear()

    @property
    def marketplace(self) -> bool:
        """Whether conversations.history and .replies are at the Marketplace tier (Tier 3, up to 1,000 messages a
        call) rather than at the limit of an app distributed outside the Marketplace (1 a minute, 15 a call)."""
        return self._state.marketplace

    @marketplace.setter
    def marketplace(self, value: bool) -> None:
        with self._state.lock:
            self._state.marketplace = value
            self._state.windows.clear()

    @staticmethod
    def tier_of(method: str, *, marketplace: bool = False) -> str | None:
        """The name of the limit the fake holds `method` to (None: not limited)."""
        limit = tiers.limit_of(method, marketplace=marketplace)
        return limit.tier if limit is not None else None

    def follow(self, clock: Monotonic) -> None:
        """Let the waits of `clock` (a SteppedClock: seconds waited without really waiting) count as time passed
        for the fake's rate limits, beside real time: a sender that waits out a Retry-After on it finds the limit
        lifted, as it would after really waiting. A real clock (RealClock) is real time already: not followed."""
        if isinstance(clock, RealClock):
            return
        with self._state.lock:
            if all(followed is not clock for followed, _ in self._state.followed):
                self._state.followed.append((clock, clock.monotonic()))

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on by `seconds`, as if they had passed (for its rate limits)."""
        with self._state.lock:
            self._state.advanced += seconds

    def clock(self) -> float:
        """The fake's clock (seconds) its rate limits are measured on (see `follow`; also in each Call)."""
        return self._state.now()

    def reset_limits(self) -> None:
        """Forget the calls the rate limits counted (each limit starts afresh)."""
        with self._state.lock:
            self._state.windows.clear()
            self._state.rate_last.clear()
            self._state.workspace_calls.clear()

    def enforce_rate_limit(self, method: str = "chat.postMessage",
                           per_channel_per_second: float | None = 1.0) -> None:
        """Answer 429 (Retry-After: 1) to same-channel calls closer than 1/rate s, beside the tiers (stricter than
        chat.postMessage's short bursts); None turns it off."""
        with self._state.lock:
            if per_channel_per_second:
                self._state.rate_limits[method] = per_channel_per_second
            else:
                self._state.rate_limits.pop(method, None)

    def enforce_workspace_rate_limit(self, method: str = "chat.postMessage", per_second: int | None = 100) -> None:
        """Answer 429 (Retry-After: 1) to a call when `per_second` calls of `method` were accepted in the last
        second across the workspace (all channels together), as Slack limits an app's posting over a whole
        workspace beside each channel's; it replaces the tier's workspace-wide window for `method` (the
        per-channel one stays); None turns it off."""
        with self._state.lock:
            if per_second:
                self._state.workspace_limits[method] = per_second
            else:
                self._state.workspace_limits.pop(method, None)
            self._state.workspace_calls.pop(method, None)

    def set_workspace_minute(self, method: str = "chat.postMessage", calls: int | None = 600) -> None:
        """Slack's tiers on, with `method`'s workspace-wide window set to `calls` in any minute (a workspace that
        takes more posts than the tier's "several hundred"); None gives the tier's own back."""
        with self._state.lock:
            if calls:
                self._state.workspace_minutes[method] = calls
            else:
                self._state.workspace_minutes.pop(method, None)
            self._state.windows.clear()

    # ---- interaction helpers -----------------------------------------------------------------------------
    def new_ts(self) -> str:
        """A fresh unique message ts."""
        return self._state.new_ts()

    def new_trigger_id(self) -> str:
        """A trigger id usable once within trigger_ttl seconds."""
        return self._state.new_trigger_id()

    def response_url(self, n: int | str) -> str:
        """The response URL with id `n` (usable 5 times)."""
        return f"{self.base_url}/response_url/{n}"

    def new_response_url(self, *, channel: str | None = None, message_ts: str | None = None,
                         user: str | None = None) -> str:
        """A fresh response URL; with channel/message_ts, replace/delete_original and in_channel apply."""
        url_id = self._state.new_id("R")
        self._state.register_response_url(url_id, channel=channel, message_ts=message_ts, user=user)
        return self.response_url(url_id)
