"""Exact linear algebra over published survey figures: can an attacker who knows every published figure work out
anything about fewer than `threshold` people?

Every individual rating is a variable, a tuple whose first element is the person's id: ("U1", round, statement).
A published figure is a linear form over the variables (a mean over n answers puts 1/n on each; the constants of
an affine rescaling reveal nothing and are left out). Knowing the figures means knowing every linear combination
of them: the row space R of the matrix A whose rows are the forms and whose columns are the variables.

A set of people P is exposed when some nonzero vector supported on P's variables S lies in R. With N a basis of
A's null space (R is exactly the vectors orthogonal to it), that is rank(N[S, :]) < |S|. Taking N from the reduced
row echelon form of A (the identity on the free columns, minus the echelon rows on the pivot columns), the rank
splits as |free columns in S| + rank(echelon rows of S's pivots, restricted to the free columns outside S), so P
is exposed exactly when those few restricted rows are linearly dependent: a combination of them vanishing outside
S is the published combination that involves only P. Pure Python and Fraction arithmetic: no rounding anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from itertools import combinations
from math import gcd, lcm

Variable = tuple  # (person, ...)
Form = dict[Variable, Fraction]
_Row = dict[int, int]  # a sparse row of integers over merged column indices (a form times its denominators)
_PRIME = 2**61 - 1  # a Mersenne prime: integer rows independent modulo it are independent over the rationals


def mean_form(variables: Iterable[Variable]) -> Form:
    """The mean of the given ratings: 1/n on each of the n distinct variables."""
    distinct = list(dict.fromkeys(variables))
    if not distinct:
        raise ValueError("a mean needs at least one variable")
    weight = Fraction(1, len(distinct))
    return dict.fromkeys(distinct, weight)


def combine(*terms: tuple[Fraction | int, Form]) -> Form:
    """The linear combination sum(coefficient * form), without the variables whose coefficient cancels to zero."""
    total: Form = {}
    for coefficient, form in terms:
        for variable, value in form.items():
            total[variable] = total.get(variable, Fraction(0)) + Fraction(coefficient) * Fraction(value)
    return {variable: value for variable, value in total.items() if value != 0}


def determined_group(forms: list[Form], threshold: int) -> frozenset[str] | None:
    """A set of fewer than `threshold` people such that some nonzero linear combination of ONLY their
    ratings lies in the span of `forms` (is determined by what was published); None when there is none.

    Of the first exposed set of min(threshold - 1, people) people (people sorted, sets in lexicographic order),
    the returned set is an inclusion-minimal exposed subset, so a form about one person alone yields just them."""
    if threshold <= 1:
        return None  # only the empty set has fewer than one person, and nothing nonzero is supported on it
    owners, rows = _merged_columns(forms)
    pivots = _echelon(rows)
    people = sorted(set(owners))
    columns_of: dict[str, frozenset[int]] = {
        person: frozenset(c for c, owner in enumerate(owners) if owner == person) for person in people
    }
    pivots_of: dict[str, list[int]] = {person: [c for c in pivots if owners[c] == person] for person in people}
    # a set without any pivot column is never exposed: every nonzero vector of R is nonzero on some pivot column
    size = min(threshold - 1, len(people))
    for group in combinations(people, size):
        if any(pivots_of[person] for person in group) and _exposed(group, columns_of, pivots_of, pivots):
            return _shrunk(group, columns_of, pivots_of, pivots)
    return None


def _merged_columns(forms: Sequence[Form]) -> tuple[list[str], list[_Row]]:
    """The forms as sparse integer rows over merged columns (each form scaled by its denominators), and each
    column's person.

    Variables in no form (or only with zero coefficients) are dropped: R is zero on them, so they are never
    determined. A person's variables with identical columns (the same coefficient in every form) become one
    column: every vector of R agrees on them, so R and the supports over whole people are unchanged."""
    variables: dict[Variable, None] = {}
    for form in forms:
        for variable, value in form.items():
            if value != 0:
                variables.setdefault(variable)
    ordered = sorted(variables, key=lambda variable: (str(variable[0]), repr(variable)))
    column_of: dict[Variable, int] = {}
    merged: dict[tuple[str, tuple[Fraction, ...]], int] = {}
    owners: list[str] = []
    for variable in ordered:
        key = (variable[0], tuple(Fraction(form.get(variable, 0)) for form in forms))
        if key not in merged:
            merged[key] = len(owners)
            owners.append(variable[0])
        column_of[variable] = merged[key]
    rows: list[_Row] = []
    for form in forms:
        exact = {column_of[variable]: Fraction(value) for variable, value in form.items() if value != 0}
        scale = lcm(*(value.denominator for value in exact.values()))  # merged variables share a coefficient
        rows.append({column: int(value * scale) for column, value in exact.items()})
    return owners, rows


def _echelon(rows: Iterable[_Row]) -> dict[int, _Row]:
    """The reduced row echelon form of the rows up to a positive factor per row, fraction-free: {pivot column:
    primitive integer row, positive on its pivot column and zero on every other pivot column}."""
    pivots: dict[int, _Row] = {}
    for original in rows:
        row = dict(original)
        for column in [c for c in original if c in pivots]:
            if row.get(column):  # eliminating one pivot column never brings back another: they are zero in both
                row = _eliminated(row, column, pivots[column])
        if not row:
            continue
        pivot = min(row)
        row = _primitive(row, negate=row[pivot] < 0)
        for column, other in pivots.items():
            if other.get(pivot):
                pivots[column] = _eliminated(other, pivot, row)
        pivots[pivot] = row
    return pivots


def _eliminated(row: _Row, column: int, pivot_row: _Row) -> _Row:
    """A positive multiple of row minus a multiple of pivot_row, zero on `column`, divided by its content."""
    a, b = row[column], pivot_row[column]
    common = gcd(a, b)
    keep, take = abs(b) // common, a // common * (1 if b > 0 else -1)
    result = {c: value * keep for c, value in row.items()}
    for c, value in pivot_row.items():
        updated = result.get(c, 0) - take * value
        if updated:
            result[c] = updated
        else:
            result.pop(c, None)
    return _primitive(result)


def _primitive(row: _Row, *, negate: bool = False) -> _Row:
    """The row divided by the gcd of its entries (and by -1 when `negate`)."""
    content = gcd(*row.values()) or 1
    if negate:
        content = -content
    return {c: value // content for c, value in row.items()}


def _exposed(
    group: Iterable[str],
    columns_of: dict[str, frozenset[int]],
    pivots_of: dict[str, list[int]],
    pivots: dict[int, _Row],
) -> bool:
    """Whether some nonzero vector of R is supported on the group's columns S: rank(N[S, :]) < |S|, i.e. the
    echelon rows of S's pivot columns, restricted to the columns outside S, are linearly dependent."""
    members = list(group)
    inside = frozenset().union(*(columns_of[person] for person in members))
    restricted = [
        {c: value for c, value in pivots[pivot].items() if c not in inside}
        for person in members
        for pivot in pivots_of[person]
    ]
    return bool(restricted) and _dependent_modulo_prime(restricted) and _dependent(restricted)


def _dependent_modulo_prime(rows: list[_Row]) -> bool:
    """Whether the integer rows are dependent modulo _PRIME. False proves them independent over the rationals (a
    nonzero maximal minor stays nonzero before reduction); True is confirmed exactly by `_dependent`."""
    basis: dict[int, dict[int, int]] = {}
    for original in rows:
        row = {c: value % _PRIME for c, value in original.items() if value % _PRIME}
        while row:
            lead = min(row)
            if lead not in basis:
                inverse = pow(row[lead], -1, _PRIME)
                basis[lead] = {c: value * inverse % _PRIME for c, value in row.items()}
                break
            factor = row[lead]
            for c, value in basis[lead].items():
                updated = (row.get(c, 0) - factor * value) % _PRIME
                if updated:
                    row[c] = updated
                else:
                    row.pop(c, None)
        else:
            return True
    return False


def _dependent(rows: list[_Row]) -> bool:
    """Whether the integer rows are linearly dependent over the rationals (exact, fraction-free elimination)."""
    basis: dict[int, _Row] = {}
    for original in rows:
        row = dict(original)
        while row:
            lead = min(row)
            if lead not in basis:
                basis[lead] = row
                break
            row = _eliminated(row, lead, basis[lead])
        else:
            return True
    return False


def _shrunk(
    group: tuple[str, ...],
    columns_of: dict[str, frozenset[int]],
    pivots_of: dict[str, list[int]],
    pivots: dict[int, _Row],
) -> frozenset[str]:
    """An inclusion-minimal exposed subset of an exposed group, leaving people out in sorted order."""
    kept = list(group)
    for person in group:
        rest = [other for other in kept if other != person]
        if rest and _exposed(rest, columns_of, pivots_of, pivots):
            kept = rest
    return frozenset(kept)
