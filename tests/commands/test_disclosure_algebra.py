"""The disclosure checker the survey property tests rely on: which sets of fewer than `threshold` people have a
combination of only their ratings fixed by the published figures. Hand-worked cases, then random small cases
against the definition itself (rank over whole columns, no merging, no null space)."""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import combinations

import pytest

from tests.commands.disclosure_algebra import Form, Variable, combine, determined_group, mean_form


def ratings(*people: str, round_number: int = 1, statement: int = 0) -> list[Variable]:
    return [(person, round_number, statement) for person in people]


def test_a_mean_over_two_of_a_party_of_three_exposes_the_two() -> None:
    # C did not answer, so C has no variable: the mean is the two answers'
    assert determined_group([mean_form(ratings("A", "B"))], threshold=3) == frozenset({"A", "B"})


def test_a_mean_over_three_is_safe_below_four_only() -> None:
    forms = [mean_form(ratings("A", "B", "C"))]
    assert determined_group(forms, threshold=3) is None
    assert determined_group(forms, threshold=4) == frozenset({"A", "B", "C"})
    assert determined_group(forms, threshold=10) == frozenset({"A", "B", "C"})


def test_overlapping_pools_expose_their_difference() -> None:
    small = mean_form([("A", 1), ("B", 1), ("C", 2)])
    large = mean_form([("A", 1), ("B", 1), ("C", 2), ("A", 3), ("B", 3)])
    assert determined_group([small], threshold=3) is None
    assert determined_group([large], threshold=3) is None
    # 5 * large - 3 * small = A3 + B3
    assert determined_group([small, large], threshold=3) == frozenset({"A", "B"})


def test_two_blocks_their_gap_and_a_weighted_mean_are_safe() -> None:
    first, second = mean_form(ratings("A", "B", "C")), mean_form(ratings("D", "E", "F", "G"))
    gap = combine((1, first), (-1, second))
    weighted = combine((Fraction(3, 7), first), (Fraction(4, 7), second))
    forms = [first, second, gap, weighted]
    assert determined_group(forms, threshold=3) is None
    assert determined_group(forms, threshold=4) == frozenset({"A", "B", "C"})


def test_a_gap_between_parties_is_safe_unless_one_side_is_two_and_the_other_is_published() -> None:
    home, partner = mean_form(ratings("A1", "A2", "A3")), mean_form(ratings("B1", "B2", "B3"))
    assert determined_group([home, partner, combine((1, home), (-1, partner))], threshold=3) is None
    assert determined_group([combine((1, home), (-1, partner))], threshold=3) is None
    thin = mean_form(ratings("B1", "B2"))
    gap = combine((1, home), (-1, thin))
    assert determined_group([gap], threshold=3) is None  # the gap alone involves five people
    assert determined_group([gap, home], threshold=3) == frozenset({"B1", "B2"})


def test_a_form_about_one_person_exposes_that_person_alone() -> None:
    forms = [mean_form(ratings("A", "B", "C")), mean_form(ratings("D", "E", "F")), {("E", 2, 0): Fraction(1)}]
    assert determined_group(forms, threshold=3) == frozenset({"E"})
    assert determined_group(forms, threshold=2) == frozenset({"E"})
    assert determined_group(forms[:2], threshold=2) is None


def test_only_a_combination_of_three_forms_exposes_the_pair() -> None:
    a, b, c, d, e, f = ((person, 1) for person in "ABCDEF")
    f1 = {a: Fraction(1), c: Fraction(1), d: Fraction(1)}
    f2 = {b: Fraction(1), e: Fraction(1), f: Fraction(1)}
    f3 = {c: Fraction(1), d: Fraction(1), e: Fraction(1), f: Fraction(1)}
    for pair in combinations([f1, f2, f3], 2):
        assert determined_group(list(pair), threshold=3) is None
    assert determined_group([f1, f2, f3], threshold=3) == frozenset({"A", "B"})  # f1 + f2 - f3 = A + B


def test_identical_columns_merge_within_a_person_never_across_people() -> None:
    # each person's two ratings only ever appear together: one column per person, still three people per figure
    both = [(person, round_number, 0) for person in "ABC" for round_number in (1, 2)]
    assert determined_group([mean_form(both)], threshold=3) is None
    # once the rounds are published apart, each round still involves three people
    one_round = {("A", 1, 0): Fraction(1), ("B", 1, 0): Fraction(1), ("C", 1, 0): Fraction(1)}
    assert determined_group([mean_form(both), one_round], threshold=3) is None
    # a figure weighting A's first rating apart from the rest gives that rating away
    lopsided = combine((1, mean_form(both)), (1, {("A", 1, 0): Fraction(1)}))
    assert determined_group([mean_form(both), lopsided], threshold=3) == frozenset({"A"})


def test_unused_variables_zero_coefficients_and_silent_people_are_ignored() -> None:
    forms: list[Form] = [
        {("A", 1): Fraction(1), ("B", 1): Fraction(1), ("C", 1): Fraction(1), ("D", 1): Fraction(0)},
        {("E", 1): Fraction(0)},
        {},
    ]
    assert determined_group(forms, threshold=3) is None
    assert determined_group([], threshold=3) is None
    assert determined_group([mean_form(ratings("A"))], threshold=1) is None  # nobody is fewer than one person


def test_mean_form_and_combine() -> None:
    assert mean_form(ratings("A", "B", "A")) == {("A", 1, 0): Fraction(1, 2), ("B", 1, 0): Fraction(1, 2)}
    with pytest.raises(ValueError):
        mean_form([])
    first, second = mean_form(ratings("A", "B")), mean_form(ratings("A", "C"))
    assert combine((1, first), (-1, second)) == {("B", 1, 0): Fraction(1, 2), ("C", 1, 0): Fraction(-1, 2)}
    assert combine((2, first), (Fraction(-2), first)) == {}


def _rank(rows: list[list[Fraction]]) -> int:
    matrix = [list(row) for row in rows]
    rank = 0
    for column in range(len(matrix[0]) if matrix else 0):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][column]:
                factor = matrix[r][column] / matrix[rank][column]
                matrix[r] = [value - factor * top for value, top in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return rank


def _exposed_by_definition(forms: list[Form], group: frozenset[str]) -> bool:
    """dim(R ∩ span of the group's variables) = rank(A) - rank(A without the group's columns) > 0."""
    variables = sorted({variable for form in forms for variable in form}, key=repr)
    outside = [variable for variable in variables if variable[0] not in group]
    whole = [[Fraction(form.get(variable, 0)) for variable in variables] for form in forms]
    rest = [[Fraction(form.get(variable, 0)) for variable in outside] for form in forms]
    return _rank(whole) > _rank(rest)


def _random_forms(rng: random.Random) -> list[Form]:
    people = [f"U{i}" for i in range(rng.randint(1, 6))]
    variables = [(person, k) for person in people for k in range(rng.randint(1, 3))]
    forms = []
    for _ in range(rng.randint(1, 6)):
        chosen = rng.sample(variables, rng.randint(1, len(variables)))
        if rng.random() < 0.5:
            forms.append(mean_form(chosen))  # a person's variables often share every coefficient
        else:
            forms.append({variable: Fraction(rng.randint(-3, 3), rng.randint(1, 4)) for variable in chosen})
    if rng.random() < 0.3:
        forms.append(combine((rng.randint(1, 3), forms[0]), (rng.randint(-3, 3), forms[-1])))
    return forms


def test_random_cases_agree_with_the_definition() -> None:
    rng = random.Random(20261201)
    exposed_cases = 0
    for _ in range(300):
        forms, threshold = _random_forms(rng), rng.randint(1, 5)
        people = sorted({variable[0] for form in forms for variable, value in form.items() if value})
        expected = any(
            _exposed_by_definition(forms, frozenset(group))
            for size in range(1, min(threshold - 1, len(people)) + 1)
            for group in combinations(people, size)
        )
        found = determined_group(forms, threshold)
        assert (found is not None) == expected, (forms, threshold)
        if found is not None:
            exposed_cases += 1
            assert 0 < len(found) < threshold and _exposed_by_definition(forms, found)
            assert not any(_exposed_by_definition(forms, found - {person}) for person in found if len(found) > 1)
    assert 50 < exposed_cases < 250  # both answers were exercised
