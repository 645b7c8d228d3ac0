"""What a round's close may publish about each party's ratings, decided once and kept (`Result`).

A party's means are published for a *block* of rounds: the closing round, pooled with the party's rounds
just before it whose means were withheld, once the block holds answers of at least the threshold of
distinct people (never fewer than `FLOOR`). Blocks never overlap, so each published mean is a sum over
at least threshold people that no other published mean shares a rating with; every other figure about
ratings (gaps, changes, trust, reviews, charts, exit triggers) is computed from these means only. No
combination of published figures can then single out the ratings of fewer people than the threshold:
tests/commands/test_anonymity.py checks that against every figure Accord publishes.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

from sqlmodel import Session, col, select

from storage.checkins import ASKED, AWAY, FLOOR, SKIPPED, Answer, Prompt, Result, Round

MAX_POOL = 3  # a block spans at most this many rounds: older withheld answers are never published


def threshold(round_: Round) -> int:
    """The fewest distinct people a published mean of this round may rest on."""
    return max(FLOOR, round_.min_respondents)


def publish(db: Session, round_: Round, slots: list[int]) -> list[Result]:
    """Decide and keep what closing `round_` publishes for each party (`slots`)."""
    prompts = list(db.exec(select(Prompt).where(Prompt.round_id == round_.id)))
    answers = list(db.exec(select(Answer).where(Answer.round_id == round_.id)))
    pool = _earlier_withheld(db, round_)
    results = []
    for slot in slots:
        mine = [a for a in answers if a.party_slot == slot]
        answered = {a.user_id for a in mine}
        status = [p.status for p in prompts if p.party_slot == slot and p.user_id not in answered]
        result = Result(round_id=round_.id or 0, relationship_id=round_.relationship_id, round_number=round_.number,
                        party_slot=slot, asked=len(answered) + status.count(ASKED), answered=len(answered),
                        skipped=status.count(SKIPPED), away=status.count(AWAY))
        block = [(round_.number, mine)]
        for earlier, earlier_answers in pool.get(slot, []):
            block.append((earlier, earlier_answers))
        group = [answer for _, group_answers in block for answer in group_answers]
        people = {a.user_id for a in group}
        if len(people) >= threshold(round_):
            result.rounds = sorted(number for number, _ in block)
            result.people, result.answers = len(people), len(group)
            result.means = [mean(a.ratings[i] for a in group) for i in range(len(round_.statements))]
        db.add(result)
        results.append(result)
    db.flush()
    return results


def _earlier_withheld(db: Session, round_: Round) -> dict[int, list[tuple[int, list[Answer]]]]:
    """Per party, the rounds just before `round_` (newest first, at most MAX_POOL - 1, with the same statements
    and scale) whose means were withheld and not published since in a block: with their answers."""
    earlier = list(db.exec(select(Round).where(Round.relationship_id == round_.relationship_id,
                                               Round.number < round_.number)
                           .order_by(col(Round.number).desc()).limit(MAX_POOL - 1)))
    earlier = _same_questions(round_, earlier)
    if not earlier:
        return {}
    ids = [r.id for r in earlier]
    results = list(db.exec(select(Result).where(col(Result.round_id).in_(ids))))
    answers: dict[tuple[int, int], list[Answer]] = defaultdict(list)
    for answer in db.exec(select(Answer).where(col(Answer.round_id).in_(ids))):
        answers[(answer.round_id, answer.party_slot)].append(answer)
    pool: dict[int, list[tuple[int, list[Answer]]]] = {}
    for slot in {r.party_slot for r in results}:
        withheld = []
        for previous in earlier:  # newest first: stop at the party's last published block
            found = next((r for r in results if r.round_id == previous.id and r.party_slot == slot), None)
            if found is None or found.rounds:
                break
            withheld.append((previous.number, answers[(previous.id or 0, slot)]))
        pool[slot] = withheld
    return pool


def _same_questions(round_: Round, earlier: list[Round]) -> list[Round]:
    """The consecutive rounds before `round_` (newest first) asked the same statements on the same scale."""
    same = []
    expected = round_.number - 1
    for previous in earlier:
        if previous.number != expected or previous.statements != round_.statements or previous.scale != round_.scale:
            break
        same.append(previous)
        expected -= 1
    return same


def published(result: Result | None) -> bool:
    """Whether the result carries means."""
    return result is not None and bool(result.rounds)
