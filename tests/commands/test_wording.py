"""One voice for counts, names, scores and money: `commands.wording`."""

from __future__ import annotations

import pytest

from commands.wording import CURRENCIES, DEFAULT_CURRENCY, currency_code, money, plural, possessive, score


@pytest.mark.parametrize(("count", "noun", "expected"), [
    (1, "escalation", "1 escalation"), (2, "escalation", "2 escalations"), (0, "escalation", "0 escalations"),
    (1, "person", "1 person"), (3, "person", "3 people"), (2, "reply", "2 replies"), (2, "day", "2 days"),
    (2, "working day", "2 working days"), (2, "status", "2 statuses"), (1, "check-in round", "1 check-in round"),
    (1200, "prompt", "1,200 prompts"), (1.5, "working day", "1.5 working days"), (1.0, "working day", "1 working day"),
])
def test_a_count_agrees_with_its_noun(count: float, noun: str, expected: str) -> None:
    assert plural(count, noun) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("Acme Services", "Acme Services'"), ("Bob", "Bob's"), ("Northwind", "Northwind's"), ("ACME CORPS", "ACME CORPS'"),
])
def test_a_name_ending_in_s_takes_the_apostrophe_alone(name: str, expected: str) -> None:
    assert possessive(name) == expected


@pytest.mark.parametrize(("value", "expected"), [(4, "4.0"), (4.0, "4.0"), (3.456, "3.5"), (2.04, "2.0"), (None, "–")])
def test_a_score_always_has_one_decimal(value: float | None, expected: str) -> None:
    assert score(value) == expected


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    (42000, "GBP", "GBP 42,000"), (42000.0, "EUR", "EUR 42,000"), (1250.5, "USD", "USD 1,250.50"),
    (0.1, "JPY", "JPY 0.10"), (None, "GBP", "–"),
])
def test_money_names_its_currency(amount: float | None, currency: str, expected: str) -> None:
    assert money(amount, currency) == expected


def test_a_currency_is_an_active_iso_4217_code() -> None:
    assert currency_code(" eur ") == "EUR" and currency_code("GBP") == DEFAULT_CURRENCY
    assert len(CURRENCIES) == len(set(CURRENCIES)) > 150 and all(len(c) == 3 and c.isupper() for c in CURRENCIES)
    for bad in ("", "XXX", "EURO", "£", "usd1", "DEM"):
        with pytest.raises(ValueError, match="ISO 4217"):
            currency_code(bad)
