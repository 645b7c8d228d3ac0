"""The permission matrix: every editing command and button × every role of each party × people
outside the relationship. Refusals are ephemeral and change nothing.

The matrix's rows share one set-up per database (a cast, an objective, actions, a review, a dispute, two
open forms) and run as subtests: each row that marks actions done has ten actions of its own, so the rows
do not meet."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.ids import Act, ProposalAct
from storage.rmp import Action, Kpi, Person, Relationship
from storage.utc import utcnow
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import (
    click,
    command_form,
    command_form_agreed,
    ephemeral_texts,
    full_cast,
    latest_view,
    submit,
)
from tests.scenarios.review_steps import state_expectations

EDITORS = {"UALICE", "UERIN", "UBOB", "UCAROL"}  # SERs and managers of both parties
EVERYONE = ["UALICE", "UERIN", "UHANK", "UIVY", "UBOB", "UCAROL", "UJOE", "UKIM", "ULEO", "UDAVE"]
NOT_IN = {"ULEO", "UDAVE"}  # Northwind's Leo never joined; Dave is from a third organisation
DUE = (utcnow() + timedelta(days=3)).date().isoformat()


def _version(harness: Harness) -> int:
    with Session(harness.engine) as db:
        return db.exec(select(Relationship)).one().version


THIRD_ORGANISATION = "yours is not one of its parties"  # what Join says to Dave, so he is not told to join


def _refusal(user: str, role_words: str) -> str:
    return {"ULEO": "You are not in", "UDAVE": THIRD_ORGANISATION}.get(user, role_words)


def _slash(text: str) -> Callable[[Harness, str, int], str]:
    def run(harness: Harness, user: str, n: int) -> str:
        before = harness.fake.views_opened
        body = harness.driver.slash(user, CHANNEL, text.format(n=n)).text
        return "opened" if harness.fake.views_opened > before else body

    return run


def _button(action_id: str, value: dict) -> Callable[[Harness, str, int], str]:
    def run(harness: Harness, user: str, n: int) -> str:
        before = harness.fake.views_opened
        click(harness, user, action_id, {"channel": CHANNEL, **{k: (n if v == "{n}" else v) for k, v in value.items()}})
        if harness.fake.views_opened > before:
            return "opened"
        return " | ".join(ephemeral_texts(harness, user)[-1:])

    return run


def _submit_kpi(harness: Harness, user: str, n: int) -> str:
    """A KPI of the submitter's own party: theirs to add alone."""
    own = "2" if user in SOUTHWIND else "1"
    answers = {"name": f"KPI by {user}", "target": "10", "red": "5", "owner_slot": own,
               "reporter_slot": own}
    return submit(harness, user, harness.kpi_view, answers).text or "saved"  # type: ignore[attr-defined]


def _submit_setup(harness: Harness, user: str, n: int) -> str:
    """The relationship's settings are both parties': an editor's change is proposed (then withdrawn, so that
    the next one may propose)."""
    answers = {"name": f"Renamed by {user}"}
    outcome = submit(harness, user, harness.setup_view, answers).text  # type: ignore[attr-defined]
    told = ephemeral_texts(harness, user)
    proposal = re.match(r"Proposed as #(\d+)", told[-1]) if told else None
    if outcome or not proposal:
        return outcome or (told[-1] if told else "")
    click(harness, user, ProposalAct.WITHDRAW, {"channel": CHANNEL, "number": int(proposal[1])})
    assert ephemeral_texts(harness, user)[-1].startswith("You withdrew"), ephemeral_texts(harness, user)
    return "proposed"


ONLY_EDITORS = "Only SERs and managers"
NOT_YOURS = "only they and Southwind's SERs and managers"
SOUTHWIND = {"UBOB", "UCAROL", "UJOE", "UKIM"}
JOES_PARTY = {"UBOB", "UCAROL", "UJOE"}  # Joe, and Southwind's SER and manager: Joe's actions are theirs
ACTORS = EVERYONE_IN = {"UALICE", "UERIN", "UHANK", "UBOB", "UCAROL", "UJOE"}  # all but observers
SERS = {"UALICE", "UBOB"}
# (name, how, what success looks like, who may, the refusal's words for people in the relationship)
MATRIX = [
    ("slash kpi form", _slash("kpi"), "opened", EDITORS, ONLY_EDITORS),
    ("button kpi form", _button(Act.OPEN_FORM, {"form": "kpi"}), "opened", EDITORS, ONLY_EDITORS),
    ("submit kpi form", _submit_kpi, "saved", EDITORS, ONLY_EDITORS),
    ("slash setup edit", _slash("setup"), "opened", EDITORS, ONLY_EDITORS),
    ("button setup edit", _button(Act.OPEN_FORM, {"form": "setup"}), "opened", EDITORS, ONLY_EDITORS),
    ("submit setup form", _submit_setup, "proposed", EDITORS, ONLY_EDITORS),
    ("slash exit reviewed", _slash("exit reviewed"), "recorded as reviewed", EDITORS, ONLY_EDITORS),
    ("slash risk form", _slash("risk"), "opened", EDITORS, ONLY_EDITORS),
    ("slash action form", _slash("action edit {n}"), "opened", EDITORS, ONLY_EDITORS),
    ("slash objective form", _slash("objective edit 1"), "opened", EDITORS, ONLY_EDITORS),
    ("slash action done (Joe's)", _slash("action done {n}"), "is done", JOES_PARTY, NOT_YOURS),
    ("button action done (Joe's)", _button(Act.ACTION_DONE, {"number": "{n}"}), "is done", JOES_PARTY, NOT_YOURS),
    ("slash cannot complete (Joe's)", _slash("action cannot {n}"), "opened", JOES_PARTY, NOT_YOURS),
    ("button cannot complete (Joe's)", _button(Act.ACTION_CANNOT, {"number": "{n}"}), "opened", JOES_PARTY,
     NOT_YOURS),
    ("slash check-in settings", _slash("checkin settings"), "opened", EDITORS, ONLY_EDITORS),
    ("slash review now", _slash("review now"), "is posted", EDITORS, ONLY_EDITORS),
    ("button sign off review", _button(Act.REVIEW_SIGN, {"number": 1}), "opened", SERS, "Only each party's SER"),
    ("button state expectations", _button(Act.REVIEW_EXPECT, {"number": 1}), "opened", EDITORS,
     "Each party's SER or a manager"),
    ("button add a lesson", _button(Act.REVIEW_LESSON, {"number": 1}), "opened", ACTORS, "Observers"),
    ("slash value form", _slash("value"), "opened", ACTORS, "Observers"),
    ("button value form", _button(f"{Act.OPEN_FORM}:value", {"form": "value"}), "opened", ACTORS, "Observers"),
    ("slash dispute form", _slash("dispute"), "opened", ACTORS, "Observers"),
    ("button escalate dispute", _button("disputes.escalate", {"number": 1}), "opened", ACTORS, "Observers"),
    ("button pause dispute", _button("disputes.pause", {"number": 1}), "opened", SERS, "Only an SER"),
]


# the rows that mark actions done have ten actions of their own; the others act on the first ten
DONE_ROWS = [m[0] for m in MATRIX if "action done" in m[0]]


def _set_up(harness: Harness) -> None:
    """Everything the rows act on."""
    full_cast(harness)
    command_form_agreed(harness, "UALICE", "objective", {"whose": "ours", "title": "Grow together",
                                                         "benefit_1": "Yes"})
    for _ in range((1 + len(DONE_ROWS)) * len(EVERYONE)):  # one action of Joe's for each person to try
        command_form(harness, "UBOB", "action", {"description": "Joe's task", "owner": "UJOE", "due_on": DUE})
    assert "is posted" in harness.driver.slash("UALICE", CHANNEL, "review now").json()["text"]
    for ser in ("UALICE", "UBOB"):  # each party states its expectations: its SER may then open the sign-off
        assert state_expectations(harness, ser).text == ""
    command_form(harness, "UHANK", "dispute", {"title": "Late", "description": "Late again", "severity": "low"})
    harness.driver.slash("UALICE", CHANNEL, "kpi")
    harness.kpi_view = latest_view(harness)  # type: ignore[attr-defined]
    harness.driver.slash("UALICE", CHANNEL, "setup")
    harness.setup_view = latest_view(harness)  # type: ignore[attr-defined]
    harness.sender.drain()


def _row(harness: Harness, name: str, how: Callable[[Harness, str, int], str], success: str, allowed: set[str],
         refusal: str) -> None:
    first = len(EVERYONE) * (1 + DONE_ROWS.index(name)) if name in DONE_ROWS else 0  # this row's actions
    for number, user in enumerate(EVERYONE, start=first + 1):
        before = _version(harness)
        outcome = how(harness, user, number)
        if user in allowed:
            assert success in outcome, (name, user, outcome)
        elif name in DONE_ROWS and user in ACTORS - SOUTHWIND:  # the other party only asks; Joe's party confirms
            assert "Asked <@UJOE> to confirm" in outcome, (name, user, outcome)
        else:
            assert _refusal(user, refusal) in outcome, (name, user, outcome)
            assert _version(harness) == before, (name, user)
    with Session(harness.engine) as db:
        kpi_names = {k.name for k in db.exec(select(Kpi))}
        done = {a.number - first for a in db.exec(select(Action))
                if a.status != "open" and first < a.number <= first + len(EVERYONE)}
    if name == "submit kpi form":
        assert kpi_names == {f"KPI by {u}" for u in EDITORS}
    if name in DONE_ROWS:
        assert done == {EVERYONE.index(u) + 1 for u in JOES_PARTY}


@pytest.mark.sqlite_only("tests/scenarios/test_mentions.py::test_every_command_works_as_a_mention_for_people_without_the_slash_command")
def test_permission_matrix(harness: Harness, subtests: pytest.Subtests) -> None:
    """Each row is a subtest of its own, on one set-up (no row changes what another acts on)."""
    _set_up(harness)
    for name, how, success, allowed, refusal in MATRIX:
        with subtests.test(msg=name):
            _row(harness, name, how, success, allowed, refusal)


@pytest.mark.postgres
def test_roles_are_set_within_ones_own_party(harness: Harness) -> None:
    full_cast(harness)
    assert "is now a member" in harness.driver.slash("UERIN", CHANNEL, "role <@UIVY> member").json()["text"]
    for actor, text, words in [
        ("UALICE", "role <@UJOE> observer", "set by Southwind's SERs and managers"),
        ("UHANK", "role <@UIVY> observer", "Only SERs and managers"),
        ("UKIM", "role <@UJOE> observer", "Only SERs and managers"),
        ("UDAVE", "role <@UJOE> observer", THIRD_ORGANISATION),
        ("UALICE", "role <@ULEO> observer", "not in this relationship yet"),
        ("UALICE", "role <@UHANK>", "Usage"),
        ("UALICE", "role <@UHANK> boss", "The role must be one of"),
    ]:
        body = harness.driver.slash(actor, CHANNEL, text).json()
        assert words in body["text"], (actor, text, body)
    with Session(harness.engine) as db:
        assert db.exec(select(Person).where(Person.user_id == "UJOE")).one().role == "member"


def test_the_last_editor_of_a_party_cannot_step_down(harness: Harness) -> None:
    full_cast(harness)
    assert "is now a member" in harness.driver.slash("UBOB", CHANNEL, "role <@UCAROL> member").json()["text"]
    body = harness.driver.slash("UBOB", CHANNEL, "role <@UBOB> member").json()
    assert "last SER or manager of Southwind" in body["text"]
