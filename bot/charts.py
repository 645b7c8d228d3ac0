"""Charts shared as files: a review's KPI trends and trust per party, drawn with matplotlib as a PNG.

matplotlib is imported inside the functions that draw, so importing `bot` does not load it (an idle
server keeps its memory), and only the object-oriented API is used (no pyplot global state), so
charts can be drawn from any thread.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from commands.rmp.kpis import colour

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MAX_KPIS = 8
DPI = 110
PANEL_WIDTH, PANEL_HEIGHT, TITLE_HEIGHT, BOTTOM = 4.2, 2.6, 1.1, 0.35  # inches
NO_VALUES = "no values this period"
LINE, TARGET, MUTED = "#3b5b92", "#2e7d32", "#888888"
# DATES: matplotlib draws dates through its units registry, but its stubs list only numbers for the axes' values
RAG_COLOURS = {"green": "#2e7d32", "amber": "#e0a100", "red": "#c62828"}
AMBER_BAND, RED_BAND = "#fff3cd", "#fde2e1"
PARTY_COLOURS = ("#3b5b92", "#d9822b")


@dataclass(frozen=True)
class FileContent:
    """A file to share: its name, its title (unique per channel: the outbox finds it again by it), bytes, comment."""

    filename: str
    title: str
    content: bytes
    initial_comment: str


def chart_file(data: dict[str, Any]) -> FileContent:
    """The file view "review_chart": the chart of a review's figures (`data`), named after the review."""
    number, relationship = int(data["number"]), str(data["relationship"])
    return FileContent(
        filename=f"accord-review-{number}.png",
        title=f"Review #{number} chart: {relationship}",
        content=review_chart(data),
        initial_comment="KPI trends against target and trust per party over the period.",
    )


def review_chart(figures: dict[str, Any], *, title: str | None = None, trust: bool = True) -> bytes:
    """A PNG of small multiples: one panel per KPI (at most 8) against its target, and trust per party (1 to 5)
    unless `trust` is False; titled after the review unless `title` is given (the audit report's charts)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    kpis = list(figures.get("kpis") or [])[:MAX_KPIS]
    panels = max(len(kpis) + (1 if trust else 0), 1)
    columns = 1 if panels == 1 else 2 if panels <= 4 else 3
    rows = math.ceil(panels / columns)
    height = PANEL_HEIGHT * rows + TITLE_HEIGHT + BOTTOM
    figure = Figure(figsize=(PANEL_WIDTH * columns, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    period = figures.get("period") or {}
    span = _span(period)
    title = _short(title or f"Review #{figures['number']}: {figures['relationship']}", 42 * columns)
    figure.suptitle(_plain(title), fontsize=13, fontweight="bold", y=1 - 0.15 / height, va="top")
    figure.text(0.5, 1 - 0.45 / height, f"{period.get('first_day', '?')} to {period.get('last_day', '?')}",
                ha="center", va="top", fontsize=9, color=MUTED)
    grid = figure.add_gridspec(rows, columns, left=0.55 / (PANEL_WIDTH * columns), right=0.97, hspace=0.5,
                               wspace=0.25, bottom=BOTTOM / height, top=1 - TITLE_HEIGHT / height)
    for index in range(rows * columns):
        ax = figure.add_subplot(grid[index // columns, index % columns])
        if index < len(kpis):
            _kpi_panel(ax, kpis[index], span)
        elif index == len(kpis) and trust:
            _trust_panel(ax, figures.get("trust") or {}, figures.get("parties") or [], span)
        else:
            ax.set_axis_off()
    out = io.BytesIO()
    # no Software/date metadata: the same figures give the same bytes
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


# -- panels ---------------------------------------------------------------------------------------


def _kpi_panel(ax: Axes, kpi: dict[str, Any], span: tuple[date, date] | None) -> None:
    unit = str(kpi.get("unit") or "")
    name = _short(str(kpi.get("name") or "KPI"), 40)
    ax.set_title(_plain(f"{name} ({unit})" if unit else name), fontsize=10, loc="left")
    points = [(date.fromisoformat(str(day)), float(value)) for day, value in kpi.get("series") or []
              if value is not None]
    if not points:
        _no_values(ax)
        return
    target, red = float(kpi["target"]), float(kpi["red"])
    direction = str(kpi.get("direction") or "higher")
    values = [value for _, value in points]
    low, high = min(*values, target, red), max(*values, target, red)
    margin = (high - low) * 0.12 or abs(high) * 0.1 or 1.0
    low, high = low - margin, high + margin
    # amber from the target to the red threshold, red past it, on the bad side of the target
    if direction == "higher":
        ax.axhspan(red, target, color=AMBER_BAND, zorder=0, lw=0)
        ax.axhspan(low, red, color=RED_BAND, zorder=0, lw=0)
    else:
        ax.axhspan(target, red, color=AMBER_BAND, zorder=0, lw=0)
        ax.axhspan(red, high, color=RED_BAND, zorder=0, lw=0)
    ax.axhline(target, color=TARGET, linestyle="--", linewidth=1.2, zorder=1, label="target")
    days = [day for day, _ in points]
    ax.plot(days, values, color=LINE, linewidth=1.6, zorder=2)  # type: ignore[arg-type]  # DATES
    ax.scatter(days, values, s=22, zorder=3, color=dot_colours(kpi, values))  # type: ignore[arg-type]  # DATES
    ax.set_ylim(low, high)
    ax.annotate(f"target {target:g}", xy=(1, target), xycoords=("axes fraction", "data"), xytext=(-2, 2),
                textcoords="offset points", ha="right", va="bottom", fontsize=7, color=TARGET)
    _dates(ax, span, days)


def _trust_panel(
    ax: Axes, trust: dict[str, Any], parties: list[dict[str, Any]], span: tuple[date, date] | None
) -> None:
    ax.set_title("Trust per party", fontsize=10, loc="left")
    series = [point for point in trust.get("series") or [] if point.get("period")]
    names = {str(p.get("slot")): str(p.get("name") or f"Party {p.get('slot')}") for p in parties}
    slots = list(names) or sorted({slot for point in series for slot in (point.get("trust") or {})})
    days = [date.fromisoformat(str(point["period"])) for point in series]
    drawn = False
    for n, slot in enumerate(slots):
        values = [(point.get("trust") or {}).get(slot) for point in series]
        if all(value is None for value in values):
            continue
        ys = [math.nan if value is None else float(value) for value in values]  # a gap where too few answered
        colour, label = PARTY_COLOURS[n % len(PARTY_COLOURS)], _plain(_short(names.get(slot, f"Party {slot}"), 30))
        ax.plot(days, ys, marker="o", markersize=4, linewidth=1.6, color=colour, label=label)  # type: ignore[arg-type]  # DATES
        drawn = True
    if not drawn:
        _no_values(ax)
        return
    ax.set_ylim(0.8, 5.2)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.legend(loc="best", fontsize=7, frameon=False, ncols=2)
    _dates(ax, span, days)


def _no_values(ax: Axes) -> None:
    ax.text(0.5, 0.5, NO_VALUES, ha="center", va="center", transform=ax.transAxes, fontsize=9, color=MUTED)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#dddddd")


def _dates(ax: Axes, span: tuple[date, date] | None, days: list[date]) -> None:
    """The period along the x axis (widened to any value outside it), ticks as "12 Mar"."""
    from matplotlib.dates import AutoDateLocator, DateFormatter

    first, last = min([*days, *(span[:1] if span else [])]), max([*days, *(span[1:] if span else [])])
    pad = max((last - first) * 0.04, timedelta(days=1))
    ax.set_xlim(first - pad, last + pad)  # type: ignore[arg-type]  # DATES
    ax.xaxis.set_major_locator(AutoDateLocator(minticks=2, maxticks=5))
    ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", color="#eeeeee", linewidth=0.8, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def dot_colours(kpi: dict[str, Any], values: list[float]) -> list[str]:
    """The colour of each dot of a KPI's panel: its value's RAG, as status and the review count it."""
    direction, target, red = str(kpi.get("direction") or "higher"), float(kpi["target"]), float(kpi["red"])
    return [RAG_COLOURS[colour(value, direction=direction, target=target, red=red)] for value in values]


# -- helpers --------------------------------------------------------------------------------------


def _span(period: dict[str, Any]) -> tuple[date, date] | None:
    try:
        return date.fromisoformat(str(period["first_day"])), date.fromisoformat(str(period["last_day"]))
    except (KeyError, ValueError):
        return None


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str) -> str:
    """User text shown as typed: a "$" would otherwise start mathtext (and may fail to parse)."""
    return text.replace("$", r"\$")
