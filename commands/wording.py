"""One voice for counts, names, scores and money in every text Accord sends: `1 escalation`, `2 escalations`,
`Acme Services'`, `Bob's`, a score `4.0`, `GBP 42,000`."""

from __future__ import annotations

import re

# ISO 4217 active currency codes (the list maintained by SIX; funds and precious metals left out)
CURRENCIES: tuple[str, ...] = (
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
    "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY",
    "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP",
    "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
    "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
    "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
    "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD",
    "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
)
DEFAULT_CURRENCY = "GBP"  # relationships set up before currencies were asked for

# nouns Accord counts whose plural is not the noun plus "s"
_PLURALS = {"person": "people", "reply": "replies", "entry": "entries", "day": "days", "status": "statuses",
            "analysis": "analyses", "process": "processes"}


def plural(count: int | float, noun: str, plural_form: str | None = None) -> str:
    """`1 escalation`, `2 escalations`, `0 people`: the count and the noun agreeing with it."""
    shown = f"{count:,}" if isinstance(count, int) else f"{count:g}"
    return f"{shown} {noun if count == 1 else plural_form or plural_noun(noun)}"


def plural_noun(noun: str) -> str:
    """The plural of one of the nouns Accord counts: `escalation` → `escalations`, `reply` → `replies`."""
    head, _, last = noun.rpartition(" ")
    prefix = f"{head} " if head else ""
    if last in _PLURALS:
        return prefix + _PLURALS[last]
    if re.search(r"[^aeiou]y$", last):
        return prefix + last[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", last):
        return prefix + last + "es"
    return prefix + last + "s"


def possessive(name: str) -> str:
    """`Bob's`, `Northwind's`, `Acme Services'`: a name ending in s takes the apostrophe alone."""
    name = name.rstrip()
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def score(value: float | None) -> str:
    """A score, a mean of scores or a gap between them, always with one decimal (`4.0`); `–` when none."""
    return "–" if value is None else f"{value:.1f}"


def amount(value: float) -> str:
    """An amount with thousands separators, and two decimals unless it is whole: `42,000`, `1,250.50`."""
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def money(value: float | None, currency: str) -> str:
    """An amount of money with its ISO 4217 code: `GBP 42,000`; `–` when none."""
    return "–" if value is None else f"{currency} {amount(value)}"


def currency_code(value: str) -> str:
    """A currency as typed, as its ISO 4217 code (`gbp ` → `GBP`); ValueError if it is not an active one."""
    code = value.strip().upper()
    if code not in CURRENCIES:
        raise ValueError(f"{value.strip() or 'An empty currency'} is not an ISO 4217 currency code: use three "
                         "letters such as GBP, EUR or USD.")
    return code


def working_days_left(days: float) -> str:
    """A dispute clock's time left in whole working days (its escalation time is shown beside it):
    `2 working days left`, `1 working day left`, `under a working day left`."""
    if days < 1:
        return "under a working day left"
    return f"{plural(round(days), 'working day')} left"
