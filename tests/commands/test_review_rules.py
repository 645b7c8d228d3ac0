"""Each recommendation rule firing, and not firing just short of its threshold, naming the figure that raised
it; the wins; and the review's messages within Slack's limits however much the period holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.fakeslack.validate import validate_blocks
from bot.views import reviews as views
from commands.reviews import rules
from commands.reviews.runs import SECTIONS

Figures = dict[str, Any]


def quiet() -> Figures:
    """A period in which nothing calls for a recommendation."""
    return {
        "number": 4, "relationship": "Northwind–Southwind", "channel": "C0SHARED", "timezone": "Europe/London",
        "period": {"starts_at": "2027-01-01T10:00:00+00:00", "ends_at": "2027-04-01T09:00:00+00:00",
                   "first_day": "2027-01-01", "last_day": "2027-04-01"},
        "parties": [{"slot": 1, "name": "Northwind"}, {"slot": 2, "name": "Southwind"}],
        "kpis": [{"number": 1, "name": "On-time delivery", "unit": "%", "direction": "higher", "target": 95.0,
                  "amber": 90.0, "red": 80.0, "value": 96.0, "rag": "green", "previous_value": 94.0,
                  "previous_rag": "green", "trend": "up", "red_streak": 0,
                  "series": [["2027-01-11", 95.0], ["2027-03-22", 96.0]]}],
        "trust": {"rounds": 6, "threshold": 1.0, "gap": 0.5, "series": [],
                  "parties": [{"slot": 1, "name": "Northwind", "invited": 18, "answered": 9, "trust": 4.0,
                               "behaviour": 4.1, "rounds_counted": 6},
                              {"slot": 2, "name": "Southwind", "invited": 18, "answered": 12, "trust": 3.5,
                               "behaviour": 3.9, "rounds_counted": 6}],
                  "statements": [{"statement": "Commitments are kept", "means": [4.0, 3.01], "gap": 0.99,
                                  "flagged": False}]},
        "disputes": {"opened": [], "escalated": [], "resolved": [], "open": [],
                     "highest": [{"number": 2, "title": "Invoices", "severity": "low", "level": 1,
                                  "level_name": "L2 Relationship managers"}]},
        "actions": {"done": [], "cannot": [], "overdue": [{"number": 1, "description": "x", "owner": "U1",
                                                           "due_on": "2027-03-01", "reason": ""}],
                    "open": 4, "overdue_share": 0.25},
        "risks": [], "objectives": [],
        "values": [{"slot": 1, "name": "Northwind", "cost": 0, "benefit": 74.0, "entries": []},
                   {"slot": 2, "name": "Southwind", "cost": 10.0, "benefit": 26.0, "entries": []}],
        "exits": {"reviewed_on": "2026-04-01", "triggers": [{"number": 1, "kind": "manual", "description": "Either",
                                                             "status": "clear"}]},
    }


def _set(path: str, value: Any) -> Callable[[Figures], None]:
    def change(figures: Figures) -> None:
        *parents, last = path.split(".")
        node: Any = figures
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return change


def _flag_gap(figures: Figures) -> None:
    figures["trust"]["statements"][0].update(gap=1.0, means=[4.0, 3.0], flagged=True)


# (rule, a change that raises it, the figure it must name)
FIRING: list[tuple[str, Callable[[Figures], None], str]] = [
    ("kpi_red", lambda f: f["kpis"][0].update(value=78.0, rag="red", red_streak=2),
     "KPI #1 On-time delivery red for 2 periods in a row (now 78 % against a target of 95)"),
    ("kpi_toward_red", lambda f: f["kpis"][0].update(value=88.0, rag="amber", recent=[97.0, 93.0, 88.0]),
     "KPI #1 On-time delivery fell 97 → 93 → 88 %; at this rate it reaches 83 % next period (red at 80 %)"),
    ("kpi_toward_red", lambda f: f["kpis"][0].update(value=84.0, rag="amber", recent=[90.0, 84.0]),
     "KPI #1 On-time delivery fell 90 → 84 %; at this rate it passes red (80 %) next period"),
    ("kpi_toward_red", lambda f: f["kpis"][0].update(value=78.0, rag="red", red_streak=1, recent=[97.0, 93.0, 78.0]),
     "KPI #1 On-time delivery fell 97 → 93 → 78 %; it is past red (80 %)"),
    ("kpi_toward_red", lambda f: f["kpis"][0].update(direction="lower", target=4.0, red=24.0, unit="hours",
                                                     value=20.0, rag="amber", recent=[10.0, 20.0]),
     "KPI #1 On-time delivery rose 10 → 20 hours; at this rate it passes red (24 hours) next period"),
    ("perception_gap", _flag_gap,
     "a perception gap of 1.0 on “Commitments are kept” (Northwind 4.0, Southwind 3.0; threshold 1.0)"),
    ("dispute_level", _set("disputes.highest.0", {"number": 2, "title": "Invoices", "severity": "low", "level": 2,
                                                   "level_name": "L3 SERs"}), "dispute #2 “Invoices” reached L3 SERs"),
    ("overdue_actions", _set("actions.overdue_share", 0.26),
     "1 of 4 open actions are overdue (26%, above 25%)"),
    ("benefit_imbalance", _set("values.0.benefit", 78.0),
     "Northwind reported 75% of the period's benefit (GBP 78 of GBP 104; Southwind GBP 26 against "
     "costs of GBP 10)"),
    ("participation", _set("trust.parties.0.answered", 8), "Northwind answered 8 of 18 check-in prompts (44%)"),
    ("objective_failing", _set("objectives", [{"number": 2, "title": "Launch", "status": "failing",
                                               "whose": "Southwind", "met_in_period": False}]),
     "objective #2 “Launch” (Southwind's own) is failing"),
    ("objective_at_risk", _set("objectives", [{"number": 1, "title": "Launch", "status": "at_risk", "whose": "ours",
                                               "met_in_period": False}]),
     "objective #1 “Launch” (ours) is at risk"),
    ("exit_triggered", _set("exits.triggers.0.status", "triggered"), "exit trigger #1 “Either” has fired"),
    ("exit_review", _set("exits.reviewed_on", "2026-03-31"), "the exit strategy was last reviewed on 31 Mar 2026"),
]


def test_a_quiet_period_raises_no_recommendation_and_the_summary_says_so() -> None:
    figures = quiet()
    assert rules.recommendations(figures) == []
    figures.update(recommendations=[], wins=[])
    message = views.summary({"figures": figures, "trigger": "scheduled", "requested_by": "accord", "signatures": []})
    assert "None: no figure this period met a rule for a recommendation." in str(message["blocks"])


@pytest.mark.parametrize(("rule", "change", "figure"), FIRING, ids=[f[0] for f in FIRING])
def test_each_rule_fires_naming_its_figure(rule: str, change: Callable[[Figures], None], figure: str) -> None:
    figures = quiet()
    change(figures)
    found = rules.recommendations(figures)
    assert [r["rule"] for r in found] == [rule]
    assert found[0]["figure"] == figure and found[0]["text"]


def test_the_benefit_rule_fires_at_three_quarters_and_not_below() -> None:
    figures = quiet()
    figures["values"][0]["benefit"], figures["values"][1]["benefit"] = 74.9, 25.1
    assert rules.recommendations(figures) == []
    figures["values"][0]["benefit"], figures["values"][1]["benefit"] = 75.0, 25.0
    [found] = rules.recommendations(figures)
    assert found["figure"] == "Northwind reported 75% of the period's benefit (GBP 75 of GBP 100; Southwind GBP " \
                              "25 against costs of GBP 10)"
    figures["values"][0]["benefit"] = figures["values"][1]["benefit"] = 0
    assert rules.recommendations(figures) == []  # nothing reported: nothing to compare


def test_the_rules_stay_quiet_just_short_of_each_threshold() -> None:
    cases: list[Callable[[Figures], None]] = [
        lambda f: f["kpis"][0].update(value=78.0, rag="red", red_streak=1),  # red once
        lambda f: f["kpis"][0].update(value=93.0, recent=[97.0, 98.0, 93.0]),  # worse once, red not in reach
        lambda f: f["kpis"][0].update(value=90.0, recent=[95.0, 90.0]),  # on the line, 85 next: not past 80
        lambda f: f["kpis"][0].update(value=96.0, recent=[90.0, 93.0, 96.0]),  # getting better
        lambda f: f["trust"]["statements"][0].update(gap=0.99, flagged=False),
        _set("disputes.highest.0.level", 1),  # L2
        _set("actions.overdue_share", 0.25),  # exactly a quarter
        _set("trust.parties.0.answered", 9),  # exactly half
        _set("exits.reviewed_on", "2026-04-01"),  # exactly a year ago
    ]
    for change in cases:
        figures = quiet()
        change(figures)
        assert rules.recommendations(figures) == [], change


def test_wins_are_kpis_turned_green_disputes_resolved_and_objectives_met() -> None:
    figures = quiet()
    assert rules.wins(figures) == []  # green before and after is not a turn
    figures["kpis"][0].update(previous_value=85.0, previous_rag="amber")
    figures["disputes"]["resolved"] = [{"number": 3, "title": "Scope", "level_name": "L1 Working level",
                                        "resolution": "A change request", "lessons": ""}]
    figures["objectives"] = [{"number": 2, "title": "Launch", "status": "met", "whose": "ours", "met_in_period": True},
                             {"number": 3, "title": "Old", "status": "met", "whose": "ours", "met_in_period": False}]
    assert rules.wins(figures) == ["KPI #1 On-time delivery turned green (85 → 96)",
                                   "Dispute #3 “Scope” resolved at L1 Working level", "Objective #2 “Launch” met"]


def test_wins_recorded_by_either_party_are_listed_with_the_computed_ones() -> None:
    figures = quiet()
    figures["objectives"] = [{"number": 2, "title": "Launch", "status": "met", "whose": "ours", "met_in_period": True}]
    figures["recorded_wins"] = [
        {"number": 1, "party": "Northwind", "by": "U1", "text": "First bid won", "at": "2027-01-05T10:00:00+00:00"},
        {"number": 2, "party": "Southwind", "by": "U2", "text": "Pilot signed", "at": "2027-02-05T10:00:00+00:00"}]
    assert rules.wins(figures) == ["Objective #2 “Launch” met", "Win #1 from Northwind: First bid won",
                                   "Win #2 from Southwind: Pilot signed"]


def test_objectives_open_met_or_dropped_raise_no_recommendation() -> None:
    figures = quiet()
    figures["objectives"] = [{"number": n, "title": "Launch", "status": status, "whose": "ours",
                              "met_in_period": False} for n, status in enumerate(("open", "met", "dropped"), 1)]
    assert rules.recommendations(figures) == []


def _huge() -> Figures:
    figures = quiet()
    long = "ü" * 500
    figures["kpis"] = [{**figures["kpis"][0], "number": n, "name": "K" * 100, "value": 10.0, "rag": "red",
                        "red_streak": 9, "series": [[f"2027-01-{d:02d}", 10.0] for d in range(1, 29)]}
                       for n in range(1, 81)]
    figures["actions"]["overdue"] = [{"number": n, "description": long, "owner": "U1", "due_on": "2027-01-01",
                                      "reason": ""} for n in range(1, 400)]
    figures["actions"]["cannot"] = figures["actions"]["overdue"][:200]
    figures["disputes"]["resolved"] = [{"number": n, "title": "T" * 150, "severity": "high", "level": 3,
                                        "level_name": "L4 Mediation", "resolution": long * 4, "lessons": long * 4}
                                       for n in range(1, 100)]
    figures["risks"] = [{"number": n, "description": long, "score": 25, "likelihood": 5, "impact": 5,
                         "previous_score": 20, "change": 5} for n in range(1, 200)]
    figures["recommendations"] = rules.recommendations(figures)
    figures["wins"] = [f"Objective #{n} “{'O' * 150}” met" for n in range(1, 200)]
    return figures


def test_a_very_long_review_stays_within_slacks_limits_and_says_what_it_left_out() -> None:
    figures = _huge()
    assert len(figures["recommendations"]) >= 80
    data = {"figures": figures, "trigger": "now", "requested_by": "UERIN",
            "signatures": [{"slot": 2, "party": "S" * 80, "user": "UBOB", "at": "2027-04-02T10:00:00+00:00"}]}
    summary = views.summary(data)
    assert validate_blocks(summary["blocks"]) == []
    assert "more in the thread" in str(summary["blocks"])
    for name in SECTIONS:
        part = views.part({"part": name, "figures": figures})
        assert validate_blocks(part["blocks"]) == [], name
        assert sum(len(b["text"]["text"]) for b in part["blocks"]) <= views.PART_CHARS + 3000
    assert "not shown here; `accord export` holds the whole review" in str(views.part(
        {"part": "actions", "figures": figures})["blocks"])
