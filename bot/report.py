"""The audit report drawn: one self-contained HTML file (Jinja2, autoescaped; inline CSS; the charts Accord
draws for reviews embedded as PNG data URIs) from what `commands.report.gather` gathered.

Also the file view "audit_report": the outbox shares the report as an HTML file (see bot/views/registry.py).
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot import charts
from bot.charts import FileContent
from commands import wording
from commands.report import clauses
from commands.rmp.sentences import ROLES

MAX_CHARTED = charts.MAX_KPIS


@cache
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("commands.report", "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(day=_day, when=_when, num=_num)
    return environment


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML document."""
    environment = _environment()
    currency = str(report["relationship"]["currency"])
    template = environment.get_template("report.html.j2")
    sections = clauses.sections()
    return template.render(
        r=report, sections=sections, standard=sections[0]["label"].split(" clause ")[0] if sections else "ISO 44001",
        charts=_charts(report), roles={key: value.split(" ", 1)[1] for key, value in ROLES.items()},
        money=lambda value: wording.money(value, currency),
    )


def report_file(report: dict[str, Any]) -> FileContent:
    """The file view "audit_report": the report of `report` (as gathered) as an HTML file to share."""
    relationship = report["relationship"]
    generated = datetime.fromisoformat(str(report["generated_at"]))
    return FileContent(
        filename=f"accord-audit-report-{relationship['channel']}-{generated:%Y%m%d-%H%M}.html",
        title=f"Audit report: {relationship['name']} ({generated:%d %b %Y %H:%M} UTC)",
        content=render_html(report).encode("utf-8"),
        initial_comment="The audit report: open the file in a browser. Each section names the ISO 44001 clause "
                        "it evidences.",
    )


# -- charts ---------------------------------------------------------------------------------------


def _charts(report: dict[str, Any]) -> dict[str, str | None]:
    """The KPI chart (with trust per party) and the service-level chart, as data URIs (None: nothing to draw)."""
    rel = report["relationship"]
    period = {"first_day": _local_day(rel["since"], rel["timezone"]), "last_day": str(report["today"])}
    base = {"number": 0, "relationship": rel["name"], "period": period, "parties": report["parties"],
            "trust": {"series": report["checkins"]["trust_series"]}}
    measured = [k for k in report["kpis"] if k["active"] and k["periods"]]
    kpis = [k for k in measured if not k["service_level"]][:MAX_CHARTED]
    levels = [k for k in measured if k["service_level"]][:MAX_CHARTED]
    drawn: dict[str, str | None] = {"kpis": None, "service_levels": None}
    if kpis or report["checkins"]["trust_series"]:
        drawn["kpis"] = _uri(charts.review_chart({**base, "kpis": kpis}, title="KPIs and trust per party"))
    if levels:
        drawn["service_levels"] = _uri(charts.review_chart({**base, "kpis": levels}, trust=False,
                                                           title="Service levels"))
    return drawn


def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _local_day(instant: str, timezone: str) -> str:
    return datetime.fromisoformat(instant).astimezone(ZoneInfo(timezone)).date().isoformat()


# -- filters --------------------------------------------------------------------------------------


def _day(value: str | None) -> str:
    """An ISO day or instant as `4 Jan 2026`."""
    if not value:
        return ""
    when = date.fromisoformat(value[:10])
    return f"{when.day} {when:%b %Y}"


def _when(value: str | None) -> str:
    """An ISO instant as `4 Jan 2026 10:30 UTC`."""
    if not value:
        return ""
    when = datetime.fromisoformat(value)
    return f"{when.day} {when:%b %Y %H:%M} UTC"


def _num(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
