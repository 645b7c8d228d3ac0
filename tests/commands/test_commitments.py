"""Resource commitments through the use cases, on SQLite and PostgreSQL (issue 21, point 2): a party's SERs and
managers record their own party's commitments (in the history), either party marks one not honoured with a
required reason (posted naming the parties, never a person), the committing party withdraws or marks it honoured
again, and the review counts them per party. Bad input changes nothing.

Northwind: Alice (manager), Dave (member). Southwind: Bob (manager), Carol (member)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.views.registry import render
from commands.actor import Actor
from commands.errors import InputError, Refused
from commands.reviews import runs
from commands.rmp import access, commitments, history
from storage.engine import transaction
from storage.models import OutboxMessage
from storage.partnership import Commitment
from tests.commands.two_parties import ALICE, BOB, CAROL, CHANNEL, DAVE, NOW, founded

__all__ = ["founded"]  # the fixture


def _commit(engine: Engine, actor: Actor, typed: str) -> int:
    with transaction(engine) as db:
        return commitments.record(db, actor=actor, form=commitments.parse(typed), now=NOW).number


def _rows(engine: Engine) -> list[tuple[int, int, str, str, str, str, str]]:
    with Session(engine) as db:
        return [(c.number, c.party_slot, c.resource, c.quantity, c.description, c.status, c.reason)
                for c in db.exec(select(Commitment).order_by(col(Commitment.number)))]


def _posts(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as db:
        return list(db.exec(select(OutboxMessage).where(OutboxMessage.view == "commitment_not_honoured")
                            .order_by(col(OutboxMessage.id))))


def test_a_party_records_its_own_commitments_and_bad_input_changes_nothing(founded: Engine) -> None:
    engine = founded
    assert _commit(engine, ALICE, "People 2 FTE – two engineers for the integration") == 1
    assert _commit(engine, BOB, "budget GBP 50,000 - the joint marketing fund") == 2
    assert _commit(engine, BOB, "systems -- the shared CRM") == 3
    assert _rows(engine) == [(1, 1, "people", "2 FTE", "two engineers for the integration", "committed", ""),
                             (2, 2, "budget", "GBP 50,000", "the joint marketing fund", "committed", ""),
                             (3, 2, "systems", "", "the shared CRM", "committed", "")]
    with Session(engine) as db:  # its party's own decision, in the history
        said = [entry.text for entry in history.latest_changes(db, actor=CAROL).entries]
    assert any("commitment #2" in text and "Southwind" in text for text in said), said

    before = _rows(engine)
    with pytest.raises(InputError) as usage:
        commitments.parse("people two engineers")
    assert "Usage: `/accord commit" in usage.value.message
    with pytest.raises(InputError) as bad, transaction(engine) as db:
        commitments.record(db, actor=ALICE, now=NOW, form=commitments.CommitInput("money", "5", " "))
    assert set(bad.value.errors) == {"resource", "description"}
    with pytest.raises(Refused), transaction(engine) as db:  # members do not commit their party's resources
        commitments.record(db, actor=DAVE, now=NOW, form=commitments.parse("people 1 – me"))
    assert _rows(engine) == before


def test_either_party_marks_a_commitment_not_honoured_with_a_reason_and_the_review_counts_it(
        founded: Engine) -> None:
    engine = founded
    _commit(engine, ALICE, "people 2 FTE – two engineers for the integration")
    _commit(engine, ALICE, "systems – a test environment")
    _commit(engine, BOB, "budget GBP 50,000 – the joint marketing fund")

    with pytest.raises(InputError) as no_reason, transaction(engine) as db:
        commitments.mark_not_honoured(db, actor=BOB, number=1, reason="  ", now=NOW)
    assert "reason" in no_reason.value.errors
    with pytest.raises(Refused), transaction(engine) as db:
        commitments.mark_not_honoured(db, actor=CAROL, number=1, reason="no", now=NOW)
    assert _rows(engine)[0][5] == "committed" and _posts(engine) == []

    with transaction(engine) as db:  # the partner's manager
        commitments.mark_not_honoured(db, actor=BOB, number=1, reason="Only one engineer joined", now=NOW)
    assert _rows(engine)[0][5:] == ("not_honoured", "Only one engineer joined")
    [post] = _posts(engine)
    shown = render(post.view, post.data)
    assert "*Southwind* marked Northwind's commitment *#1* not honoured (people 2 FTE: two engineers" \
        in shown["blocks"][0]["text"]["text"]
    assert "Only one engineer joined" in shown["blocks"][1]["text"]["text"]
    assert "UBOB" not in str(shown) and "UALICE" not in str(shown)  # parties, never people

    with pytest.raises(Refused), transaction(engine) as db:  # only the committing party withdraws
        commitments.withdraw(db, actor=BOB, number=1, now=NOW)
    with pytest.raises(Refused), transaction(engine) as db:  # or says it is honoured after all
        commitments.mark_honoured(db, actor=BOB, number=1, now=NOW)
    with transaction(engine) as db:
        commitments.mark_honoured(db, actor=ALICE, number=1, now=NOW)
    assert _rows(engine)[0][5:] == ("committed", "")
    with transaction(engine) as db:  # missed again: told again
        commitments.mark_not_honoured(db, actor=BOB, number=1, reason="The second engineer left", now=NOW)
        commitments.withdraw(db, actor=ALICE, number=2, now=NOW)
        commitments.mark_not_honoured(db, actor=BOB, number=3, reason="Our own fund is cut", now=NOW)
    assert len(_posts(engine)) == 3
    assert "*Southwind* marked its own commitment *#3* not honoured" in \
        render("commitment_not_honoured", _posts(engine)[-1].data)["blocks"][0]["text"]["text"]

    with transaction(engine) as db:
        relationship = access.relationship_in(db, CHANNEL, lock=True)
        figures = runs.hold(db, relationship, trigger="now", by=ALICE.user_id, now=NOW + timedelta(days=5)).figures
    northwind, southwind = figures["commitments"]
    assert (northwind["name"], northwind["committed"]) == ("Northwind", 1)  # the withdrawn one is not counted
    assert [(c["number"], c["reason"]) for c in northwind["not_honoured"]] == [(1, "The second engineer left")]
    assert (southwind["committed"], len(southwind["not_honoured"])) == (1, 1)
    shown_review = str(render("review_summary", {"figures": figures, "trigger": "now", "requested_by": ALICE.user_id,
                                                 "signatures": []}))
    assert "*Commitments*: Northwind 1 committed, 1 not honoured · Southwind 1 committed, 1 not honoured" \
        in shown_review
    assert "The second engineer left" in shown_review
