"""The Vietnamese HTML report, with its bar charts drawn on the server as inline SVG.

No script, no CDN, no web font: it reads the same in a mail client and on the closed network.
The templates are in services/reporting/templates/ (autoescaped: subjects are users' text).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.reporting.domain.report_tables import Table, report_tables, report_title

_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_ENV = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_LABEL_WIDTH, _BAR_WIDTH, _ROW = 260, 380, 24
_LABEL_CHARS = 40


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    length: float
    y: int


def _bar_chart(table: Table) -> str:
    assert table.chart is not None
    column = table.chart
    values = [float(c) if isinstance(c := r[column], int | float) else 0.0 for r in table.rows]
    top = max(values, default=0.0) or 1.0
    bars = [
        Bar(
            label=" · ".join(str(c) for c in row[:column] if isinstance(c, str))[:_LABEL_CHARS],
            value="—" if row[column] is None else str(row[column]),
            length=round(_BAR_WIDTH * v / top, 1),
            y=6 + n * _ROW,
        )
        for n, (row, v) in enumerate(zip(table.rows, values, strict=True))
    ]
    return _ENV.get_template("bar_chart.svg").render(
        title=table.title,
        bars=bars,
        label_width=_LABEL_WIDTH,
        width=_LABEL_WIDTH + _BAR_WIDTH + 60,
        height=12 + len(bars) * _ROW,
    )


def report_html(report: dict[str, Any], province: str | None = None) -> str:
    tables = report_tables(report)
    charts = {t.key: _bar_chart(t) for t in tables if t.chart is not None and t.rows}
    period = report["period"]
    return _ENV.get_template("report.html").render(
        title=report_title(report),
        start=period["start"][:10],
        end=period["end"][:10],
        province=province,
        tables=tables,
        charts=charts,
    )
