"""bot.payloads against Slack's payload shapes: the actor (their home team and Grid org, the relationship's channel,
the thread and DM to answer in, their App Home) from slash commands, clicks, form submissions, shortcuts and events.

Each payload is built as Slack sends it (https://docs.slack.dev/reference/interaction-payloads/, the Events API's
event_callback envelope), with the fields Accord does not read kept, so that a reader sees which of the look-alike
ids (`team`, `team_id`, `user.team_id`, `user_team`, `source_team`, `enterprise`, `authorizations`) is used.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.payloads import (
    button_actor,
    button_value,
    clicker,
    command_actor,
    deactivated_user,
    event_actor,
    home_opened,
    interaction_actor,
    mention,
    message_shortcut,
    split_command,
    strip_mentions,
    submission_actor,
    view_metadata,
)
from commands.actor import Actor
from commands.errors import Refused

# two organisations sharing a Slack Connect channel; the home one is on Enterprise Grid
NORTH, NORTH_ORG, NORTH_OTHER = "T0NORTH01", "E0NORTHORG", "T0NORTH02"  # a Grid org and two of its workspaces
SOUTH = "T0SOUTH01"  # the partner's stand-alone workspace
OTHER_ORG = "E0OTHERORG"
SHARED = "C0SHARED1"  # the relationship's channel
OTHER_CHANNEL = "C0ELSEWHR"
DM = "D0ALICEDM"
ALICE, BOB = "U0ALICE01", "U0BOB0001"  # Alice of North, Bob of South


def _value(**value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _block_actions(*, user_team: str, team: dict[str, Any] | None, enterprise: dict[str, Any] | None = None,
                   channel: str | None = SHARED, value: str | None = None, message: dict[str, Any] | None = None,
                   container: dict[str, Any] | None = None, view: dict[str, Any] | None = None,
                   user: str = ALICE) -> dict[str, Any]:
    """A button click (type block_actions) as Slack posts it to the interactivity URL."""
    ts = "1765108800.000100"
    body: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "name": "someone", "team_id": user_team},
        "api_app_id": "A0ACCORD01",
        "token": "verification-token",
        "container": container or {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": "1234567890123.987654321098.0123456789abcdef0123456789abcdef",
        "team": team,
        "enterprise": enterprise,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T0NORTH01/1234567890/abcdef",
        "actions": [{"action_id": "rmp.status", "block_id": "b1", "type": "button", "action_ts": "1765108801.1",
                     "text": {"type": "plain_text", "text": "Status", "emoji": True},
                     **({"value": value} if value is not None else {})}],
    }
    if channel is not None:
        body["channel"] = {"id": channel, "name": "privategroup" if channel.startswith("G") else "north-south"}
    if message is not None:
        body["message"] = message
    elif container is None:
        body["message"] = {"type": "message", "subtype": "bot_message", "bot_id": "B0ACCORD01", "text": "Status",
                           "ts": ts, "blocks": []}
    if view is not None:
        body["view"] = view
    return body


def _north_team() -> dict[str, Any]:
    return {"id": NORTH, "domain": "northwind", "enterprise_id": NORTH_ORG, "enterprise_name": "Northwind Group"}


def _north_org() -> dict[str, Any]:
    return {"id": NORTH_ORG, "name": "Northwind Group"}


# -- slash commands --------------------------------------------------------------------------------------------


def _slash(**fields: str) -> dict[str, Any]:
    """A slash command as bolt parses its form body (every value a string)."""
    return {"token": "verification-token", "team_id": SOUTH, "team_domain": "southwind", "channel_id": SHARED,
            "channel_name": "north-south", "user_id": BOB, "user_name": "bob", "command": "/accord",
            "text": "status", "api_app_id": "A0ACCORD01", "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.com/commands/T0SOUTH01/1/abc",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0", **fields}


def test_a_slash_command_outside_grid_is_its_users_workspace() -> None:
    assert command_actor(_slash()) == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED)


def test_the_actors_slack_name_comes_from_the_payload_so_history_can_name_them_at_once() -> None:
    assert command_actor(_slash()).name == "bob"
    assert command_actor({**_slash(), "user_name": ""}).name is None
    click = _block_actions(user_team=SOUTH, team={"id": SOUTH, "domain": "southwind"}, user=BOB,
                           value=_value(channel=SHARED))
    assert button_actor(click)[0].name == "someone"  # the click payload's user.name


def test_a_slash_command_on_grid_carries_the_workspaces_org() -> None:
    body = _slash(team_id=NORTH, team_domain="northwind", enterprise_id=NORTH_ORG,
                  enterprise_name="Northwind Group", user_id=ALICE)
    assert command_actor(body) == Actor(user_id=ALICE, team_id=NORTH, channel_id=SHARED, enterprise_id=NORTH_ORG)


def test_a_slash_command_of_an_org_wide_install_naming_only_the_org() -> None:
    body = _slash(team_id=NORTH_ORG, enterprise_id="", user_id=ALICE, is_enterprise_install="true")
    assert command_actor(body) == Actor(user_id=ALICE, team_id=NORTH_ORG, channel_id=SHARED, enterprise_id=NORTH_ORG)


def test_a_slash_command_in_a_dm_is_in_that_dm() -> None:
    assert command_actor(_slash(channel_id=DM, channel_name="directmessage")).channel_id == DM


@pytest.mark.parametrize(("text", "expected"), [
    ("status", ("status", "")), ("  Remind  in 3d Hello there ", ("remind", "in 3d Hello there")),
    ("", ("help", "")), (None, ("help", "")), ("kpi\x00 edit 3", ("kpi", "edit 3")),
])
def test_the_subcommand_and_the_rest(text: str | None, expected: tuple[str, str]) -> None:
    assert split_command(text) == expected


# -- clicks: Slack Connect and Enterprise Grid -----------------------------------------------------------------


def test_a_click_by_someone_of_the_receiving_workspace() -> None:
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH, "domain": "southwind"}, user=BOB,
                          value=_value(channel=SHARED))
    assert button_actor(body) == (Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED), {"channel": SHARED})


def test_a_slack_connect_partner_clicking_keeps_their_own_team_not_the_receiving_one() -> None:
    """Bob (South) clicks in the shared channel; the payload comes to North's Grid installation."""
    body = _block_actions(user_team=SOUTH, team=_north_team(), enterprise=_north_org(), user=BOB,
                          value=_value(channel=SHARED, number=3))
    actor, value = button_actor(body)
    assert actor == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED, enterprise_id=None)
    assert value == {"channel": SHARED, "number": 3}


def test_a_grid_user_of_the_receiving_workspace_gets_its_org() -> None:
    body = _block_actions(user_team=NORTH, team=_north_team(), enterprise=_north_org(), value=_value(channel=SHARED))
    assert interaction_actor(body, SHARED) == Actor(user_id=ALICE, team_id=NORTH, channel_id=SHARED,
                                                    enterprise_id=NORTH_ORG)


def test_a_grid_users_team_given_as_the_org_is_the_receiving_workspace_of_that_org() -> None:
    """Slack documents that user.team_id reports the org (E…) on Enterprise Grid."""
    body = _block_actions(user_team=NORTH_ORG, team=_north_team(), enterprise=_north_org())
    assert interaction_actor(body, SHARED) == Actor(user_id=ALICE, team_id=NORTH, channel_id=SHARED,
                                                    enterprise_id=NORTH_ORG)


def test_the_org_found_in_team_enterprise_id_when_there_is_no_enterprise_object() -> None:
    body = _block_actions(user_team=NORTH, team=_north_team(), enterprise=None)
    assert interaction_actor(body, SHARED).enterprise_id == NORTH_ORG


def test_another_workspace_of_the_same_org_is_not_given_the_org() -> None:
    """A workspace other than the receiving one may belong to another org: only its own team is known."""
    body = _block_actions(user_team=NORTH_OTHER, team=_north_team(), enterprise=_north_org())
    assert interaction_actor(body, SHARED) == Actor(user_id=ALICE, team_id=NORTH_OTHER, channel_id=SHARED)


def test_a_user_of_another_org_stays_in_their_org() -> None:
    body = _block_actions(user_team=OTHER_ORG, team=_north_team(), enterprise=_north_org(), user=BOB)
    assert interaction_actor(body, SHARED) == Actor(user_id=BOB, team_id=OTHER_ORG, channel_id=SHARED,
                                                    enterprise_id=OTHER_ORG)


def test_an_org_wide_install_sends_no_team() -> None:
    """With is_enterprise_install, `team` is null and the user's team is the org."""
    body = _block_actions(user_team=NORTH_ORG, team=None, enterprise=_north_org(), value=_value(channel=SHARED))
    body["is_enterprise_install"] = True
    assert button_actor(body)[0] == Actor(user_id=ALICE, team_id=NORTH_ORG, channel_id=SHARED,
                                          enterprise_id=NORTH_ORG)


def test_a_user_without_a_team_falls_back_to_the_payloads_team() -> None:
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH, "domain": "southwind"}, user=BOB)
    del body["user"]["team_id"]
    assert interaction_actor(body, SHARED) == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED)


# -- clicks: which channel, where to answer --------------------------------------------------------------------


def test_a_button_naming_another_channel_is_refused() -> None:
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, channel=OTHER_CHANNEL, value=_value(channel=SHARED))
    with pytest.raises(Refused, match="another channel"):
        button_actor(body)


def test_a_button_without_a_channel_in_its_value_acts_in_the_channel_clicked_in() -> None:
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, user=BOB, value=_value(number=2))
    assert button_actor(body) == (Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED), {"number": 2})


@pytest.mark.parametrize("raw", [None, "", "not json", "[1, 2]", '"a string"', "null"])
def test_a_value_that_is_not_a_json_object_is_empty(raw: str | None) -> None:
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, user=BOB, value=raw)
    assert button_value(body) == {}
    assert button_actor(body) == (Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED), {})


def test_a_click_in_a_dm_acts_on_the_named_channel_and_answers_in_the_dm() -> None:
    """A prompt in Alice's DM with the bot: its buttons name the relationship's channel."""
    ts = "1765108800.000200"
    body = _block_actions(user_team=NORTH, team=_north_team(), enterprise=_north_org(), channel=DM,
                          value=_value(channel=SHARED, round=4),
                          container={"type": "message", "message_ts": ts, "channel_id": DM, "is_ephemeral": False},
                          message={"type": "message", "bot_id": "B0ACCORD01", "text": "Check-in", "ts": ts})
    body["channel"]["name"] = "directmessage"
    assert button_actor(body) == (Actor(user_id=ALICE, team_id=NORTH, channel_id=SHARED, enterprise_id=NORTH_ORG,
                                        reply_channel=DM), {"channel": SHARED, "round": 4})


def test_only_a_dm_is_a_reply_channel() -> None:
    """A click in a channel (not a DM) is answered in the actor's channel, whichever channel it was in."""
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, user=BOB, channel=OTHER_CHANNEL)
    assert interaction_actor(body, SHARED) == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED)


def test_a_click_in_the_channel_itself_answers_there() -> None:
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, user=BOB, value=_value(channel=SHARED))
    actor = button_actor(body)[0]
    assert (actor.reply_channel, actor.thread_ts, actor.on_home) == (None, None, False)


def test_a_click_on_a_reply_in_a_thread_answers_in_that_thread() -> None:
    root, reply = "1765100000.000100", "1765108800.000300"
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, user=BOB, value=_value(channel=SHARED),
                          container={"type": "message", "message_ts": reply, "channel_id": SHARED,
                                     "is_ephemeral": False, "thread_ts": root},
                          message={"type": "message", "bot_id": "B0ACCORD01", "text": "Dispute #2", "ts": reply,
                                   "thread_ts": root, "parent_user_id": "U0ACCORDB"})
    assert button_actor(body)[0] == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED, thread_ts=root)


def test_a_click_on_a_threads_root_answers_in_the_channel() -> None:
    root = "1765100000.000100"
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, user=BOB, value=_value(channel=SHARED),
                          message={"type": "message", "bot_id": "B0ACCORD01", "text": "Dispute #2", "ts": root,
                                   "thread_ts": root, "reply_count": 3})
    assert button_actor(body)[0].thread_ts is None


def test_a_click_on_an_ephemeral_message_in_a_thread_answers_in_that_thread() -> None:
    """Ephemeral messages come back without `message`: the container says where they were."""
    root = "1765100000.000100"
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, user=BOB, value=_value(channel=SHARED, form="kpi"),
                          container={"type": "message", "message_ts": "1765108800.000400", "channel_id": SHARED,
                                     "is_ephemeral": True, "thread_ts": root})
    assert "message" not in body
    assert button_actor(body)[0] == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED, thread_ts=root)


def test_a_click_on_the_app_home_acts_on_the_named_channel_and_redraws_the_home() -> None:
    home = {"id": "V0HOME0001", "team_id": NORTH, "type": "home", "blocks": [], "private_metadata": "",
            "callback_id": "", "hash": "1765108800.abc", "app_id": "A0ACCORD01", "bot_id": "B0ACCORD01"}
    body = _block_actions(user_team=NORTH, team=_north_team(), enterprise=_north_org(), channel=None,
                          value=_value(channel=SHARED, number=5),
                          container={"type": "view", "view_id": "V0HOME0001"}, view=home)
    assert button_actor(body) == (Actor(user_id=ALICE, team_id=NORTH, channel_id=SHARED, enterprise_id=NORTH_ORG,
                                        on_home=True), {"channel": SHARED, "number": 5})


def test_a_click_inside_a_modal_is_not_on_the_home() -> None:
    modal = {"id": "V0MODAL001", "type": "modal", "private_metadata": _value(channel=SHARED), "callback_id": "x"}
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, user=BOB, channel=None, value=_value(channel=SHARED),
                          container={"type": "view", "view_id": "V0MODAL001"}, view=modal)
    assert button_actor(body)[0] == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED)


def test_the_clicker_of_a_refused_button_is_answered_where_they_clicked() -> None:
    root = "1765100000.000100"
    body = _block_actions(user_team=SOUTH, team={"id": SOUTH}, user=BOB, channel=OTHER_CHANNEL,
                          value=_value(channel=SHARED),
                          container={"type": "message", "message_ts": "1765108800.5", "channel_id": OTHER_CHANNEL,
                                     "is_ephemeral": False, "thread_ts": root})
    assert clicker(body) == Actor(user_id=BOB, team_id=SOUTH, channel_id=OTHER_CHANNEL, thread_ts=root)


# -- form submissions ------------------------------------------------------------------------------------------


def _view_submission(*, user_team: str, team: dict[str, Any] | None, metadata: str,
                     enterprise: dict[str, Any] | None = None, user: str = ALICE) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": team,
        "user": {"id": user, "username": "someone", "name": "someone", "team_id": user_team},
        "api_app_id": "A0ACCORD01",
        "token": "verification-token",
        "trigger_id": "12466734323.1395872398.ac2c3b1f9d4f1e0e",
        "view": {"id": "V0MODAL002", "team_id": (team or {}).get("id", ""), "type": "modal", "blocks": [],
                 "private_metadata": metadata, "callback_id": "rmp.plan_form",
                 "state": {"values": {"name": {"value": {"type": "plain_text_input", "value": "On time"}}}},
                 "hash": "156772938.1827394", "title": {"type": "plain_text", "text": "KPI"},
                 "root_view_id": "V0MODAL002", "app_id": "A0ACCORD01", "bot_id": "B0ACCORD01"},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": enterprise,
    }


def test_a_submission_acts_in_the_channel_its_form_was_opened_for() -> None:
    body = _view_submission(user_team=SOUTH, team={"id": SOUTH, "domain": "southwind"}, user=BOB,
                            metadata=_value(channel=SHARED, form="kpi", number=None))
    assert submission_actor(body) == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED)
    assert view_metadata(body["view"]) == {"channel": SHARED, "form": "kpi", "number": None}


def test_a_grid_submission_keeps_the_org_and_a_partners_keeps_their_team() -> None:
    metadata = _value(channel=SHARED)
    mine = _view_submission(user_team=NORTH, team=_north_team(), enterprise=_north_org(), metadata=metadata)
    partner = _view_submission(user_team=SOUTH, team=_north_team(), enterprise=_north_org(), metadata=metadata,
                               user=BOB)
    assert submission_actor(mine) == Actor(user_id=ALICE, team_id=NORTH, channel_id=SHARED, enterprise_id=NORTH_ORG)
    assert submission_actor(partner) == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED)


@pytest.mark.parametrize("metadata", ["", "not json", "[]", "7"])
def test_a_submission_without_usable_metadata_has_no_channel(metadata: str) -> None:
    body = _view_submission(user_team=SOUTH, team={"id": SOUTH}, user=BOB, metadata=metadata)
    assert view_metadata(body["view"]) == {}
    assert submission_actor(body) == Actor(user_id=BOB, team_id=SOUTH, channel_id=None)


# -- message shortcut ------------------------------------------------------------------------------------------


def _message_action(message: dict[str, Any], *, user_team: str = SOUTH) -> dict[str, Any]:
    return {
        "type": "message_action", "token": "verification-token", "action_ts": "1765108900.1",
        "team": {"id": SOUTH, "domain": "southwind"},
        "user": {"id": BOB, "username": "bob", "name": "bob", "team_id": user_team},
        "channel": {"id": SHARED, "name": "north-south"},
        "is_enterprise_install": False, "enterprise": None,
        "callback_id": "dispute.raise_from_message", "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "response_url": "https://hooks.slack.com/app/T0SOUTH01/1/abc", "message_ts": message["ts"],
        "message": {"type": "message", "user": ALICE, "text": "The shipment is late again", **message},
    }


def test_a_shortcut_on_a_message_raises_on_that_message() -> None:
    shortcut = message_shortcut(_message_action({"ts": "1765108800.000500"}))
    assert shortcut.actor == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED)
    assert (shortcut.channel_id, shortcut.ts) == (SHARED, "1765108800.000500")


def test_a_shortcut_on_a_reply_raises_on_its_thread() -> None:
    root = "1765100000.000100"
    shortcut = message_shortcut(_message_action({"ts": "1765108800.000600", "thread_ts": root,
                                                 "parent_user_id": ALICE}))
    assert (shortcut.channel_id, shortcut.ts) == (SHARED, root)


# -- events: app_mention, app_home_opened, user_change ---------------------------------------------------------


def _event_callback(event: dict[str, Any], *, team_id: str = NORTH, enterprise_id: str | None = NORTH_ORG,
                    event_id: str | None = "Ev0MENTION1") -> dict[str, Any]:
    body: dict[str, Any] = {
        "token": "verification-token", "team_id": team_id, "context_team_id": team_id,
        "context_enterprise_id": enterprise_id, "api_app_id": "A0ACCORD01", "event": event,
        "type": "event_callback", "event_time": 1765108800, "is_ext_shared_channel": True,
        "authorizations": [{"enterprise_id": enterprise_id, "team_id": team_id, "user_id": "U0ACCORDB",
                            "is_bot": True, "is_enterprise_install": False}],
    }
    if enterprise_id:
        body["enterprise_id"] = enterprise_id
    if event_id:
        body["event_id"] = event_id
    return body


def _app_mention(text: str, *, user: str, user_team: str, **more: Any) -> dict[str, Any]:
    return {"type": "app_mention", "user": user, "text": text, "ts": "1765108800.000700", "team": NORTH,
            "user_team": user_team, "source_team": user_team, "channel": SHARED, "event_ts": "1765108800.000700",
            "blocks": [], **more}


def test_a_grid_mention_whose_user_team_is_the_org_is_of_the_receiving_workspace() -> None:
    body = _event_callback(_app_mention("<@U0ACCORDB> status", user=ALICE, user_team=NORTH_ORG))
    assert event_actor(body) == Actor(user_id=ALICE, team_id=NORTH, channel_id=SHARED, enterprise_id=NORTH_ORG)


def test_a_grid_mention_by_the_receiving_workspace_takes_its_org() -> None:
    body = _event_callback(_app_mention("<@U0ACCORDB> status", user=ALICE, user_team=NORTH))
    assert event_actor(body) == Actor(user_id=ALICE, team_id=NORTH, channel_id=SHARED, enterprise_id=NORTH_ORG)


def test_a_slack_connect_partners_mention_is_of_their_own_team() -> None:
    body = _event_callback(_app_mention("<@U0ACCORDB> join", user=BOB, user_team=SOUTH))
    assert event_actor(body) == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED)


def test_a_mention_by_someone_of_another_org() -> None:
    body = _event_callback(_app_mention("<@U0ACCORDB> join", user=BOB, user_team=OTHER_ORG))
    assert event_actor(body) == Actor(user_id=BOB, team_id=OTHER_ORG, channel_id=SHARED, enterprise_id=OTHER_ORG)


def test_the_org_of_a_mention_comes_from_the_authorizations_when_the_envelope_omits_it() -> None:
    body = _event_callback(_app_mention("<@U0ACCORDB> status", user=ALICE, user_team=NORTH))
    del body["enterprise_id"]
    assert event_actor(body).enterprise_id == NORTH_ORG


def test_a_mention_outside_grid_without_user_team_is_of_the_events_team() -> None:
    event = _app_mention("<@U0ACCORDB> status", user=BOB, user_team=SOUTH, team=SOUTH)
    del event["user_team"], event["source_team"]
    body = _event_callback(event, team_id=SOUTH, enterprise_id=None)
    assert event_actor(body) == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED)


def test_a_mention_in_a_thread() -> None:
    root = "1765100000.000100"
    body = _event_callback(_app_mention("<@U0ACCORDB|accord>  Dispute ", user=BOB, user_team=SOUTH, thread_ts=root,
                                        parent_user_id=ALICE))
    said = mention(body)
    assert said.actor == Actor(user_id=BOB, team_id=SOUTH, channel_id=SHARED, thread_ts=root)
    assert (said.name, said.rest, said.event_id, said.thread_ts) == ("dispute", "", "Ev0MENTION1", root)


def test_a_mention_in_the_channel_is_answered_in_a_thread_on_it() -> None:
    said = mention(_event_callback(_app_mention("<@U0ACCORDB> <@U0ALICE01> action done #3", user=BOB,
                                                user_team=SOUTH)))
    assert said.actor.thread_ts is None
    assert (said.name, said.rest, said.thread_ts) == ("action", "done #3", "1765108800.000700")


def test_a_mention_without_an_event_id_is_known_by_its_channel_and_ts() -> None:
    said = mention(_event_callback(_app_mention("<@U0ACCORDB>", user=BOB, user_team=SOUTH), event_id=None))
    assert (said.name, said.event_id) == ("help", f"{SHARED}:1765108800.000700")


def test_only_leading_mentions_are_stripped() -> None:
    assert strip_mentions("<@U0ACCORDB> <@U0BOB0001|bob> role <@U0ALICE01> ser") == "role <@U0ALICE01> ser"


def test_the_home_tab_opened() -> None:
    event = {"type": "app_home_opened", "user": ALICE, "channel": "D0HOMECHAN", "tab": "home",
             "event_ts": "1765108800.000800", "view": {"id": "V0HOME0001", "type": "home"}}
    assert home_opened(_event_callback(event, event_id="Ev0HOME0001")) == (ALICE, "Ev0HOME0001")
    assert home_opened(_event_callback(event, event_id=None)) == (ALICE, "home:1765108800.000800")
    assert home_opened(_event_callback({**event, "tab": "messages"})) is None


def test_a_deactivated_user() -> None:
    user = {"id": BOB, "team_id": SOUTH, "name": "bob", "deleted": True, "profile": {}}
    assert deactivated_user(_event_callback({"type": "user_change", "user": user, "event_ts": "1"})) == BOB
    assert deactivated_user(_event_callback({"type": "user_change", "user": {**user, "deleted": False}})) is None
    assert deactivated_user(_event_callback({"type": "user_change", "user": BOB})) is None
