"""One RAG everywhere: a KPI at 94 % against a target of ≥ 95 % is amber in status, in the review's figures and
count, and as the chart's dot; the form refuses a red threshold on the good side of the target."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.charts import RAG_COLOURS, dot_colours
from bot.views import reviews as review_views
from bot.views.rmp import status_blocks
from commands.actor import Actor
from commands.errors import InputError
from commands.reviews import figures as review_figures
from commands.reviews import rules
from commands.rmp import kpis, setup, status
from commands.rmp.kpis import KpiInput
from storage.engine import transaction
from storage.rmp import Kpi, Relationship

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
ALICE = Actor("UALICE", "T0HOME", "C0RAG")
VALUES = [(date(2026, 12, 7), 97.0), (date(2026, 12, 14), 94.0), (date(2026, 12, 21), 80.0), (date(2026, 12, 28), 79.5)]
EXPECTED = ["green", "amber", "amber", "red"]  # 97 ≥ 95; 94 short; 80 at red is not past it; 79.5 past it


def test_status_review_and_chart_colour_each_value_alike(engine: Engine) -> None:
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, now=NOW, form=setup.SetupInput(name="R", party_1="A", party_2="B"))
        kpi = kpis.save_kpi(db, actor=ALICE, kpi_number=None, now=NOW, form=KpiInput(
            "On time", "%", "higher", "95", "80", "1", "1"))
        assert isinstance(kpi, Kpi)
        shown = []
        for (period, value), expected in zip(VALUES, EXPECTED, strict=True):
            kpis.record_value(db, kpi, value=value, period=period, user_id="UALICE", now=NOW)
            seen = status.relationship_status(db, actor=ALICE, now=NOW)
            assert seen.kpis[0].rag == expected, value
            shown.append(str(status_blocks(seen)))
        relationship = db.exec(select(Relationship)).one()
        figures = review_figures.compute(db, relationship, starts_at=datetime(2026, 12, 1, tzinfo=UTC),
                                         ends_at=NOW, previous=None)
    assert ":large_green_circle: *#1 On time*" in shown[0] and ":large_orange_circle: *#1 On time*" in shown[1]
    assert ":red_circle: *#1 On time*" in shown[3]
    [row] = figures["kpis"]
    assert [v for _, v in row["series"]] == [v for _, v in VALUES] and row["rag"] == "red"
    assert [kpis.rag(kpi, v) for _, v in VALUES] == EXPECTED
    assert dot_colours(row, [v for _, v in VALUES]) == [RAG_COLOURS[c] for c in EXPECTED]
    figures.update(number=1, recommendations=rules.recommendations(figures), wins=[])
    message = review_views.summary({"figures": figures, "trigger": "scheduled", "requested_by": "accord",
                                    "signatures": []})
    assert "0 green, 0 amber, 1 red" in str(message["blocks"])


@pytest.mark.parametrize(("direction", "target", "red"), [("higher", "95", "95"), ("higher", "95", "96"),
                                                          ("lower", "4", "3")])
def test_the_form_refuses_a_red_threshold_on_the_good_side_of_the_target(engine: Engine, direction: str,
                                                                        target: str, red: str) -> None:
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, now=NOW, form=setup.SetupInput(name="R", party_1="A", party_2="B"))
        with pytest.raises(InputError) as refused:
            kpis.save_kpi(db, actor=ALICE, kpi_number=None, now=NOW, form=KpiInput(
                "On time", "%", direction, target, red, "1", "1"))
    assert refused.value.field == "red" and "red starts" in refused.value.message
