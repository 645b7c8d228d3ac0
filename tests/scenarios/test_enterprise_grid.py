"""Enterprise Grid: a party is an organisation. Slack names a Grid person's organisation by their workspace (T…)
in commands and buttons and, in mentions, sometimes by their org (E…): both are the same party, a second
workspace of the same org joins that party, and a genuinely different organisation is still refused."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.ids import Act
from storage.rmp import Party, Person
from tests.harness import CHANNEL, HOME, PARTNER, THIRD, Harness
from tests.scenarios.plan_steps import SETUP, click, ephemeral_texts, join, set_up

NORTH, SOUTH, ELSEWHERE = "E0NORTH", "E0SOUTH", "E0ELSEWHERE"  # Grid orgs
HOME_2, PARTNER_2 = "T0HOME2", "T0PARTNER2"  # a second workspace of each
STATUS = f"{SETUP['name']}: status"
REFUSED = ("does not match your party", "between two other organisations", "You are not in")


def _grid(harness: Harness, org: str, *teams: str) -> None:
    """Put workspaces `teams` in Grid org `org`: their payloads carry the org's id."""
    harness.driver.enterprises.update(dict.fromkeys(teams, org))


def _person(harness: Harness, user: str, team: str) -> None:
    harness.fake.add_user(user, team, user[1:].lower())
    harness.fake.add_member(CHANNEL, user)


def _told(harness: Harness, user: str) -> str:
    return ephemeral_texts(harness, user)[-1]


def _mention(harness: Harness, user: str, text: str, *, user_team: str) -> str:
    """`@accord <text>` by `user`, whose event names their team as `user_team` (an org on Grid); what they are told."""
    assert harness.driver.app_mention(user, CHANNEL, f"<@UACCORD> {text}", user_team=user_team).status_code == 200
    return _told(harness, user)


def _slash(harness: Harness, user: str, text: str) -> str:
    return harness.driver.slash(user, CHANNEL, text).json()["text"]


def _status_button(harness: Harness, user: str) -> str:
    assert click(harness, user, Act.STATUS, {"channel": CHANNEL}).status_code == 200
    return _told(harness, user)


def _parties(harness: Harness) -> dict[str, tuple[str | None, str | None, list[str]]]:
    """Each party's name: (team_id, enterprise_id, team_ids)."""
    with Session(harness.engine) as db:
        return {p.name: (p.team_id, p.enterprise_id, p.team_ids) for p in db.exec(select(Party).order_by(Party.slot))}


def _party_of(harness: Harness) -> dict[str, str]:
    """Each person's party name."""
    with Session(harness.engine) as db:
        names = {p.id: p.name for p in db.exec(select(Party))}
        return {person.user_id: names[person.party_id] for person in db.exec(select(Person))}


@pytest.mark.postgres
def test_a_grid_partner_joining_by_mention_is_one_party_with_its_commands_buttons_and_second_workspace(
        harness: Harness) -> None:
    """Southwind is a Grid org (two workspaces); Accord is installed in Northwind's (not Grid) workspace, so a
    Southwind mention names only the org."""
    _grid(harness, SOUTH, PARTNER, PARTNER_2)
    _person(harness, "UPIA", PARTNER_2)
    assert set_up(harness).status_code == 200

    # Bob joins by mention: Slack gives Southwind's org, the party takes it
    assert _mention(harness, "UBOB", "join", user_team=SOUTH) == "You joined *Southwind* as a manager."
    assert _parties(harness)["Southwind"] == (None, SOUTH, [])
    # his command names his workspace and its org: the same party, which learns the workspace
    assert _slash(harness, "UBOB", "role <@UBOB> ser") == "<@UBOB> is now an SER."
    assert _parties(harness)["Southwind"] == (PARTNER, SOUTH, [PARTNER])
    # his button names only his workspace: the same party
    assert _status_button(harness, "UBOB") == STATUS
    assert _mention(harness, "UBOB", "status", user_team=SOUTH) == STATUS
    # a colleague of his workspace joins with the Join button
    join(harness, "UCAROL")
    assert _told(harness, "UCAROL") == "You joined *Southwind* as a member."

    # a second workspace of Southwind's org is Southwind too: by command, then its buttons and mentions
    assert _slash(harness, "UPIA", "join") == "You joined *Southwind* as a member."
    assert _parties(harness)["Southwind"] == (PARTNER, SOUTH, [PARTNER, PARTNER_2])
    assert _status_button(harness, "UPIA") == STATUS
    assert _mention(harness, "UPIA", "status", user_team=SOUTH) == STATUS

    # a genuinely different organisation is still refused, whether a plain workspace or another Grid org
    join(harness, "UDAVE")
    assert "between two other organisations" in _told(harness, "UDAVE")
    _grid(harness, ELSEWHERE, THIRD)
    assert "between two other organisations" in _mention(harness, "UDAVE", "join", user_team=ELSEWHERE)
    assert "between two other organisations" in _slash(harness, "UDAVE", "join")
    assert _party_of(harness) == {"UALICE": "Northwind", "UBOB": "Southwind", "UCAROL": "Southwind",
                                  "UPIA": "Southwind"}
    assert _parties(harness) == {"Northwind": (HOME, None, [HOME]), "Southwind": (PARTNER, SOUTH, [PARTNER, PARTNER_2])}


def test_the_installing_grid_org_is_one_party_whichever_id_slack_gives_and_lends_its_org_to_no_one(
        harness: Harness) -> None:
    """Northwind is a Grid org (two workspaces) and Accord is installed in its first workspace: its mentions name
    the org, its commands and buttons the workspace; the org of the installation is never a partner's."""
    _grid(harness, NORTH, HOME, HOME_2)
    _person(harness, "UNOA", HOME_2)
    assert set_up(harness).status_code == 200  # by command: the party knows the workspace and its org
    assert _parties(harness)["Northwind"] == (HOME, NORTH, [HOME])

    assert _mention(harness, "UERIN", "join", user_team=NORTH) == "You joined *Northwind* as a member."
    assert _slash(harness, "UERIN", "people").startswith(f"*{SETUP['name']}*: people by role")
    assert _status_button(harness, "UERIN") == STATUS
    assert _mention(harness, "UALICE", "status", user_team=NORTH) == STATUS

    # the second workspace's Noa joins by mention, which names only the org; her buttons name her workspace
    assert _mention(harness, "UNOA", "join", user_team=NORTH) == "You joined *Northwind* as a member."
    assert _status_button(harness, "UNOA") == STATUS
    assert _slash(harness, "UNOA", "join") == "You are already in *Northwind* as a member."
    assert _parties(harness)["Northwind"] == (HOME, NORTH, [HOME, HOME_2])

    # the partner's people click through Northwind's Grid installation: its org is not theirs
    join(harness, "UBOB")
    assert _told(harness, "UBOB") == "You joined *Southwind* as a manager."
    assert _status_button(harness, "UBOB") == STATUS
    join(harness, "UDAVE")  # a third organisation clicking through the Grid installation
    assert "between two other organisations" in _told(harness, "UDAVE")
    assert "between two other organisations" in _mention(harness, "UDAVE", "join", user_team=THIRD)
    # and a partner's person whose payload names a workspace of Northwind is refused
    assert harness.driver.slash("UBOB", CHANNEL, "status").json()["text"] == STATUS
    harness.fake.add_user("UBOB", HOME_2, "bob")  # as if Bob's payloads named Northwind's second workspace
    assert "does not match your party" in _status_button(harness, "UBOB")
    assert _party_of(harness) == {"UALICE": "Northwind", "UERIN": "Northwind", "UNOA": "Northwind",
                                  "UBOB": "Southwind"}
    assert _parties(harness) == {"Northwind": (HOME, NORTH, [HOME, HOME_2]), "Southwind": (PARTNER, None, [PARTNER])}
