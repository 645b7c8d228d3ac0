"""The improvement log through the use cases, on SQLite and PostgreSQL: who raises, agrees, starts, delivers and
drops an idea, each party's own benefit, bad input refused with nothing changed, and the review's counts.

Northwind (Alice, manager; Dave, member) set the relationship up; Southwind (Bob, its manager; Carol, member;
Olga, observer) joined. Ursula is in neither party."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.views.registry import render
from commands.actor import Actor
from commands.errors import InputError, Refused
from commands.rmp import access, ideas, people, setup
from commands.rmp.sentences import names_for, sentence
from storage.engine import transaction
from storage.models import OutboxMessage
from storage.partnership import Idea
from storage.rmp import Change

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)  # Wednesday, 12:00 in London
CHANNEL, HOME, PARTNER = "C0IDEAS", "T0HOME", "T0PARTNER"
ALICE, DAVE = Actor("UALICE", HOME, CHANNEL, name="Alice"), Actor("UDAVE", HOME, CHANNEL, name="Dave")
BOB, CAROL = Actor("UBOB", PARTNER, CHANNEL, name="Bob"), Actor("UCAROL", PARTNER, CHANNEL, name="Carol")
OLGA = Actor("UOLGA", PARTNER, CHANNEL, name="Olga")
URSULA = Actor("UURSULA", PARTNER, CHANNEL)
LONDON = setup.CalendarInput("Europe/London")
SETUP = setup.SetupInput(name="NW–SW", party_1="Northwind", party_2="Southwind", timezone="Europe/London",
                         calendars=(LONDON, LONDON))


def _founded(engine: Engine) -> None:
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=SETUP, now=NOW)
        for actor in (DAVE, BOB, CAROL, OLGA):
            people.join(db, actor=actor, now=NOW)
        people.set_role(db, actor=BOB, text_args="<@UOLGA> observer", now=NOW)


def _refused(engine: Engine, run: Callable[[Session], object], error: type[Exception] = Refused) -> str:
    with pytest.raises(error) as refused, transaction(engine) as db:
        run(db)
    return str(refused.value)


def _idea(engine: Engine, number: int) -> Idea:
    with Session(engine) as db:
        return db.exec(select(Idea).where(Idea.number == number)).one()


def _history(engine: Engine) -> list[str]:
    with Session(engine) as db:
        changes = list(db.exec(select(Change).where(Change.entity == "idea").order_by(col(Change.version))))
        names = names_for(db, changes[0].relationship_id, changes) if changes else None
        return [sentence(c, names) for c in changes] if names else []


def _messages(engine: Engine, number: int) -> list[OutboxMessage]:
    key = ideas.root_key(1, number)
    with Session(engine) as db:
        return list(db.exec(select(OutboxMessage).where(
            (col(OutboxMessage.idempotency_key) == key) | col(OutboxMessage.idempotency_key).like(f"{key}:v%"))))


def test_the_other_party_agrees_an_idea_its_owner_delivers_it_and_an_editor_drops_one(engine: Engine) -> None:
    _founded(engine)
    with transaction(engine) as db:
        raised = ideas.raise_idea(db, actor=DAVE, title="  Share one delivery calendar ", now=NOW,
                                  benefit="Fewer missed slots")
    assert (raised.number, raised.party, raised.status) == (1, "Northwind", "proposed")
    first = _idea(engine, 1)
    assert (first.party_slot, first.raised_by, first.owner_user_id, first.title, first.benefit_1, first.benefit_2) == \
        (1, "UDAVE", "UDAVE", "Share one delivery calendar", "Fewer missed slots", "")

    # the raiser's party cannot agree its own idea; only the other party's SERs and managers do
    assert "a party does not agree its own idea alone" in _refused(
        engine, lambda db: ideas.agree(db, actor=ALICE, number=1, now=NOW))
    assert "Only an SER or manager of Southwind" in _refused(
        engine, lambda db: ideas.agree(db, actor=CAROL, number=1, now=NOW))
    assert "Observers" in _refused(engine, lambda db: ideas.agree(db, actor=OLGA, number=1, now=NOW))
    assert "not in" in _refused(engine, lambda db: ideas.agree(db, actor=URSULA, number=1, now=NOW))
    assert "it starts once agreed" in _refused(
        engine, lambda db: ideas.start(db, actor=DAVE, number=1, now=NOW), InputError)
    assert "must be agreed first" in _refused(
        engine, lambda db: ideas.finish(db, actor=DAVE, number=1, now=NOW), InputError)
    later = NOW + timedelta(days=1)
    with transaction(engine) as db:
        ideas.agree(db, actor=BOB, number=1, now=later)
    assert (_idea(engine, 1).status, _idea(engine, 1).agreed_at) == ("agreed", later)
    assert "is agreed: it cannot be agreed" in _refused(
        engine, lambda db: ideas.agree(db, actor=BOB, number=1, now=NOW), InputError)

    # the owner, or an SER or manager of either party, starts and delivers it; another member does not
    assert "Only the owner of idea #1" in _refused(engine, lambda db: ideas.start(db, actor=CAROL, number=1, now=NOW))
    with transaction(engine) as db:
        ideas.start(db, actor=DAVE, number=1, now=later)
        # each party states its own benefit, never the other's
        ideas.set_benefit(db, actor=CAROL, number=1, text="One calendar to plan crews from", now=later)
        ideas.set_benefit(db, actor=ALICE, number=1, text="Fewer missed slots, less overtime", now=later)
    assert "Only an SER or manager of either party drops" in _refused(
        engine, lambda db: ideas.drop(db, actor=CAROL, number=1, reason="No", now=NOW))
    with transaction(engine) as db:
        ideas.finish(db, actor=BOB, number=1, now=later + timedelta(days=1))
    done = _idea(engine, 1)
    assert (done.status, done.done_at, done.benefit_1, done.benefit_2) == (
        "done", later + timedelta(days=1), "Fewer missed slots, less overtime", "One calendar to plan crews from")
    assert "is done: it cannot be dropped" in _refused(
        engine, lambda db: ideas.drop(db, actor=ALICE, number=1, reason="Too late", now=NOW), InputError)

    # a partner's idea with another owner, dropped by an editor of either party with a reason
    with transaction(engine) as db:
        ideas.raise_idea(db, actor=BOB, title="Joint stand at the trade fair", owner="UCAROL", now=later)
    assert _idea(engine, 2).owner_user_id == "UCAROL" and _idea(engine, 2).party_slot == 2
    assert "Say why idea #2 is dropped" in _refused(
        engine, lambda db: ideas.drop(db, actor=ALICE, number=2, reason="  ", now=NOW), InputError)
    with transaction(engine) as db:
        ideas.drop(db, actor=ALICE, number=2, reason="No budget this year", now=later)
    assert _idea(engine, 2).status == "dropped"
    assert "is dropped: it cannot be changed" in _refused(
        engine, lambda db: ideas.set_benefit(db, actor=BOB, number=2, text="x", now=NOW), InputError)

    # every change is in the history, in words
    assert _history(engine) == [
        "Dave (Northwind) added idea #1 “Share one delivery calendar”",
        "Bob (Southwind) agreed idea #1 “Share one delivery calendar”",
        "Dave (Northwind) started idea #1 “Share one delivery calendar”",
        "Carol (Southwind) changed idea #1 “Share one delivery calendar”: benefit to Southwind set to One calendar "
        "to plan crews from",
        "Alice (Northwind) changed idea #1 “Share one delivery calendar”: benefit to Northwind from Fewer missed "
        "slots to Fewer missed slots, less overtime",
        "Bob (Southwind) delivered idea #1 “Share one delivery calendar”",
        "Bob (Southwind) added idea #2 “Joint stand at the trade fair”",
        "Alice (Northwind) dropped idea #2 “Joint stand at the trade fair”: No budget this year",
    ]
    # one message per idea, kept up to date in place (nothing was sent yet: the waiting post took each change)
    [one] = _messages(engine, 1)
    assert one.method == "chat.postMessage" and one.channel == CHANNEL
    assert (one.data["status"], one.data["benefits"]) == ("done", [
        {"party": "Northwind", "text": "Fewer missed slots, less overtime"},
        {"party": "Southwind", "text": "One calendar to plan crews from"}])
    [two] = _messages(engine, 2)
    assert (two.data["status"], two.data["reason"], two.data["owner"]) == ("dropped", "No budget this year", "UCAROL")


def test_once_posted_an_ideas_message_is_updated_in_place(engine: Engine) -> None:
    _founded(engine)
    with transaction(engine) as db:
        ideas.raise_idea(db, actor=CAROL, title="Weekly joint stand-up", now=NOW)
    with transaction(engine) as db:  # the sender posted it
        [posted] = _messages(engine, 1)
        db.get(OutboxMessage, posted.id).attempts = 1  # type: ignore[union-attr]
    with transaction(engine) as db:
        ideas.agree(db, actor=ALICE, number=1, now=NOW)
    post, update = sorted(_messages(engine, 1), key=lambda m: m.id or 0)
    assert (update.method, update.updates, update.data["status"]) == ("chat.update", post.idempotency_key, "agreed")


def test_an_owner_named_by_the_raiser_is_not_pinged_by_the_post_but_told_in_its_thread_in_their_hours(
        engine: Engine) -> None:
    _founded(engine)
    evening = NOW.replace(hour=20)  # 20:00 in London: Bob's working hours have ended
    with transaction(engine) as db:
        ideas.raise_idea(db, actor=CAROL, title="Weekly joint stand-up", owner="UBOB", now=evening)
    [post] = _messages(engine, 1)
    shown = json.dumps(render(post.view, post.data))
    assert "<@UBOB>" not in shown and "owner Bob" in shown and "<@UCAROL>" in shown
    with Session(engine) as db:
        [told] = db.exec(select(OutboxMessage).where(OutboxMessage.view == "mention_later")).all()
    assert told.data["users"] == ["UBOB"] and told.thread_of == post.idempotency_key
    assert told.not_before == datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # Thursday 09:00 in London


def test_bad_idea_input_is_refused_once_and_changes_nothing(engine: Engine) -> None:
    _founded(engine)
    assert _refused(engine, lambda db: ideas.raise_idea(db, actor=DAVE, title="   ", now=NOW), InputError) == \
        ideas.EMPTY
    assert _refused(engine, lambda db: ideas.raise_idea(db, actor=DAVE, title="x" * 501, now=NOW), InputError) == \
        "An idea holds at most 500 characters (this has 501): shorten it. Nothing was changed."
    assert "A benefit holds at most 1000" in _refused(engine, lambda db: ideas.raise_idea(
        db, actor=DAVE, title="Fine", benefit="b" * 1001, now=NOW), InputError)
    assert "The owner must be a member of either party" in _refused(engine, lambda db: ideas.raise_idea(
        db, actor=DAVE, title="Fine", owner="UOLGA", now=NOW), InputError)
    assert "Observers follow the improvement log" in _refused(
        engine, lambda db: ideas.raise_idea(db, actor=OLGA, title="Mine", now=NOW))
    assert "not in" in _refused(engine, lambda db: ideas.raise_idea(db, actor=URSULA, title="Mine", now=NOW))
    assert "There is no idea #7" in _refused(
        engine, lambda db: ideas.agree(db, actor=BOB, number=7, now=NOW), InputError)
    with Session(engine) as db:
        assert db.exec(select(Idea)).all() == []
        assert db.exec(select(Change).where(Change.entity == "idea")).all() == []
        assert db.exec(select(OutboxMessage).where(OutboxMessage.view == "idea")).all() == []


def test_a_review_counts_each_partys_ideas_raised_agreed_and_delivered_in_its_period(engine: Engine) -> None:
    _founded(engine)
    before, start, end = NOW - timedelta(days=40), NOW - timedelta(days=30), NOW
    with transaction(engine) as db:
        ideas.raise_idea(db, actor=DAVE, title="Raised before, agreed and done within", now=before)
        ideas.raise_idea(db, actor=ALICE, title="Raised within, agreed", now=start + timedelta(days=1))
        ideas.raise_idea(db, actor=CAROL, title="Raised within, dropped", now=start + timedelta(days=2))
        ideas.raise_idea(db, actor=BOB, title="Raised within, agreed after", now=start + timedelta(days=3))
        ideas.raise_idea(db, actor=ALICE, title="Raised after", now=end + timedelta(days=1))
        ideas.agree(db, actor=BOB, number=1, now=start + timedelta(days=4))
        ideas.finish(db, actor=DAVE, number=1, now=start + timedelta(days=5))
        ideas.agree(db, actor=BOB, number=2, now=start + timedelta(days=6))
        ideas.drop(db, actor=BOB, number=3, reason="Overlaps idea #1", now=start + timedelta(days=7))
        ideas.agree(db, actor=ALICE, number=4, now=end + timedelta(days=2))
    with Session(engine) as db:
        relationship = access.relationship_in(db, CHANNEL)
        counted = ideas.review_figures(db, relationship, starts_at=start, ends_at=end)
    assert counted == {
        "parties": [{"slot": 1, "name": "Northwind", "raised": 1, "agreed": 2, "delivered": 1},
                     {"slot": 2, "name": "Southwind", "raised": 2, "agreed": 0, "delivered": 0}],
        "delivered": [{"number": 1, "title": "Raised before, agreed and done within", "party": "Northwind"}]}
