"""Review charts: a PNG of KPI trends against target and trust per party, whatever the figures hold."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

from PIL import Image

from bot.charts import MAX_KPIS, chart_file, review_chart


def _figures(*, kpis: int = 2, rounds: bool = True) -> dict[str, Any]:
    """Review figures as commands.reviews computes them (the parts a chart reads)."""
    shapes = [
        {"name": "On-time delivery", "unit": "%", "direction": "higher", "target": 95.0, "amber": 90.0, "red": 85.0,
         "series": [["2026-09-07", 96.0], ["2026-10-05", 89.0], ["2026-11-02", 83.5], ["2026-11-23", 91.0]]},
        {"name": "Defects", "unit": "per 1000", "direction": "lower", "target": 2.0, "amber": 3.0, "red": 5.0,
         "series": [["2026-10-01", 2.5], ["2026-11-01", 6.0]]},
    ]
    series = [
        {"round": 1, "period": "2026-09-15", "trust": {"1": 4.1, "2": 3.2}},
        {"round": 2, "period": "2026-10-15", "trust": {"1": None, "2": 3.6}},  # too few answered for party 1
        {"round": 3, "period": "2026-11-15", "trust": {"1": 4.4, "2": 3.9}},
    ]
    return {
        "number": 3, "relationship": "Acme & Globex",
        "period": {"first_day": "2026-09-01", "last_day": "2026-11-30"},
        "parties": [{"slot": 1, "name": "Acme"}, {"slot": 2, "name": "Globex"}],
        "kpis": [{**shapes[n % 2], "number": n + 1} for n in range(kpis)],
        "trust": {"rounds": len(series) if rounds else 0, "series": series if rounds else []},
    }


def _image(png: bytes) -> Image.Image:
    """The PNG opened by Pillow, after checking it is a well-formed PNG."""
    Image.open(io.BytesIO(png)).verify()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def test_a_review_with_two_kpis_and_trust_rounds_is_a_png_of_plausible_size() -> None:
    png = review_chart(_figures(kpis=2))
    width, height = _image(png).size
    assert 600 <= width <= 2000 and 400 <= height <= 1600  # two columns, two rows of panels
    assert 10_000 < len(png) < 400_000


def test_figures_without_kpis_or_rounds_still_render() -> None:
    for figures in (_figures(kpis=0, rounds=False), {**_figures(kpis=0), "trust": {}, "parties": []}):
        width, height = _image(review_chart(figures)).size
        assert width >= 300 and height >= 300  # the trust panel alone, saying there were no values


def test_kpis_without_values_and_rounds_nobody_answered_still_render() -> None:
    figures = _figures(kpis=2)
    figures["kpis"][0]["series"] = []
    figures["trust"]["series"] = [{"round": 1, "period": "2026-09-15", "trust": {"1": None, "2": None}}]
    assert _image(review_chart(figures)).size[0] > 0


def test_a_single_value_and_names_with_dollar_signs_render() -> None:
    figures = _figures(kpis=1)
    figures["relationship"] = "Cost $ and $savings$ ^_^"
    figures["kpis"][0].update(name="Spend in $ (k$)", unit="$", series=[["2026-10-01", 95.0]])
    assert _image(review_chart(figures)).size[0] > 0


def test_at_most_eight_kpis_are_drawn() -> None:
    eight, twelve = review_chart(_figures(kpis=MAX_KPIS)), review_chart(_figures(kpis=12))
    assert _image(eight).size == _image(twelve).size  # 3 x 3 panels: 8 KPIs and trust
    assert eight == twelve
    assert len(twelve) < 400_000


def test_the_same_figures_give_the_same_bytes() -> None:
    assert review_chart(_figures()) == review_chart(_figures())


def test_the_chart_file_is_named_after_the_review() -> None:
    file = chart_file(_figures())
    assert file.filename == "accord-review-3.png"
    assert file.title == "Review #3 chart: Acme & Globex"
    assert file.initial_comment.startswith("KPI trends against target and trust per party")
    assert _image(file.content).size[0] > 0


def test_importing_the_bot_does_not_load_matplotlib() -> None:
    code = ("import sys, bot.app, bot.outbox, bot.outbox_calls, bot.views.registry, bot.charts; "
            "sys.exit('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0
