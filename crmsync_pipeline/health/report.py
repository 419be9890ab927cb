"""The Sync Health page: one self-contained HTML file (inline SVG charts, no script, no CDN: it opens
offline and from a file:// URL) with the health checks' figures and charts over the recent runs."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crmsync_pipeline.health.queries import HealthFinding
from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql

PALETTE = ("#2f6fde", "#e4572e", "#17a673", "#f3a712", "#8e44ad", "#29a3a3", "#c0392b", "#7f8c8d")
CRM_COLOURS = {"hubspot": "#ff7a59", "salesforce": "#00a1e0", "review": "#8e44ad"}
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 760, 240, 56, 46, 16


@dataclass(frozen=True)
class Series:
    """Values per run for one label (a target CRM, an error code ...), stacked in the chart."""

    label: str
    values: list[float]


@dataclass(frozen=True)
class Chart:
    title: str
    runs: list[str]
    series: list[Series]


def history_charts(state_path: Path, runs: int = 30, *, read_only: bool = False) -> list[Chart]:
    with db.connect(state_path, read_only=read_only) as con:
        recent = con.execute(
            "SELECT run_id, started_at FROM runs ORDER BY started_at DESC LIMIT ?", [runs]
        ).fetchall()[::-1]
        params = {"runs": runs}
        writes = con.execute(sql("health/history_writes.sql"), params).fetchall()
        errors = con.execute(sql("health/history_errors.sql"), params).fetchall()
        calls = con.execute(sql("health/history_calls.sql"), params).fetchall()
        conflicts = con.execute(sql("health/history_conflicts.sql"), params).fetchall()
    run_ids = [r[0] for r in recent]
    labels = [f"{r[1]:%m-%d %H:%M}" for r in recent]
    synced = [(run, f"to {target}", ok) for run, _, target, ok, _ in writes]
    synced += [(run, f"failed to {target}", bad) for run, _, target, _, bad in writes if bad]
    return [
        Chart("Records synced per run, by direction", labels, _series(run_ids, synced)),
        Chart("Errors by code over time", labels, _series(run_ids, [(r, c, n) for r, _, c, n in errors])),
        Chart("API calls per run", labels, _series(run_ids, [(r, crm, n) for r, _, crm, n in calls])),
        Chart(
            "Conflicts per run (by winner)",
            labels,
            _series(run_ids, [(r, w, n) for r, _, w, n in conflicts]),
        ),
    ]


def _series(run_ids: list[str], rows: Sequence[tuple[str, str, float]]) -> list[Series]:
    by_label: dict[str, dict[str, float]] = defaultdict(dict)
    for run, label, value in rows:
        by_label[label][run] = by_label[label].get(run, 0) + float(value or 0)
    return [Series(label, [by_label[label].get(r, 0.0) for r in run_ids]) for label in sorted(by_label)]


def bar_chart_svg(chart: Chart) -> str:
    """A stacked bar chart: one bar per run, one colour per series, a tooltip on every segment."""
    if not chart.runs:
        return f'<p class="empty">No runs yet for "{html.escape(chart.title)}".</p>'
    totals = [sum(s.values[i] for s in chart.series) for i in range(len(chart.runs))]
    top = max([*totals, 1.0])
    plot_w, plot_h = WIDTH - PAD_LEFT - 10, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / len(chart.runs)
    bar_w = max(min(slot * 0.7, 40), 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT + 24}" role="img" '
        f'aria-label="{html.escape(chart.title)}">',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - 10}" y2="{PAD_TOP + plot_h}" stroke="#999"/>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 4}" text-anchor="end" class="axis">{_number(top)}</text>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + plot_h}" text-anchor="end" class="axis">0</text>',
    ]
    for i, run in enumerate(chart.runs):
        x = PAD_LEFT + i * slot + (slot - bar_w) / 2
        y = PAD_TOP + plot_h
        for n, series in enumerate(chart.series):
            value = series.values[i]
            if not value:
                continue
            h = value / top * plot_h
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{_colour(series.label, n)}"><title>{html.escape(run)} · '
                f"{html.escape(series.label)}: {_number(value)}</title></rect>"
            )
        if len(chart.runs) <= 12 or i % max(len(chart.runs) // 10, 1) == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{PAD_TOP + plot_h + 14}" text-anchor="middle" '
                f'class="axis">{html.escape(run)}</text>'
            )
    if not any(totals):
        parts.append(
            f'<text x="{PAD_LEFT + plot_w / 2}" y="{PAD_TOP + plot_h / 2}" text-anchor="middle" class="legend">'
            "none in these runs</text>"
        )
    legend_x = PAD_LEFT
    for n, series in enumerate(chart.series):
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT + 6}" width="10" height="10" fill="{_colour(series.label, n)}"/>'
            f'<text x="{legend_x + 14}" y="{HEIGHT + 15}" class="legend">{html.escape(series.label)}</text>'
        )
        legend_x += 24 + 7 * len(series.label)
    parts.append("</svg>")
    return "\n".join(parts)


def _colour(label: str, n: int) -> str:
    """HubSpot orange and Salesforce blue wherever a series is one CRM; failures in red."""
    if label.startswith("failed"):
        return "#c0392b"
    return CRM_COLOURS.get(label.removeprefix("to "), PALETTE[n % len(PALETTE)])


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def render_report(findings: dict[str, HealthFinding], charts: list[Chart], state_label: str) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for finding in findings.values():
        figures = "; ".join(f"{k}: {v}" for k, v in finding.figures.items())
        rows.append(
            f'<tr><td>{html.escape(finding.check.title)}</td><td><span class="badge {finding.severity.lower()}">'
            f"{finding.severity}</span></td><td>{len(finding.rows):,}</td><td>{html.escape(figures)}</td></tr>"
        )
    details = "\n".join(_finding_details(f) for f in findings.values() if f.rows)
    charts_html = "\n".join(
        f'<section class="chart"><h2>{html.escape(c.title)}</h2>{bar_chart_svg(c)}</section>' for c in charts
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crmsync · Sync Health</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 900px; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .9rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
.badge {{ padding: .1rem .5rem; border-radius: .6rem; font-weight: 600; font-size: .8rem; }}
.ok {{ background: #d7f5e5; color: #17663f; }} .warn {{ background: #fff1c9; color: #7a5600; }}
.error {{ background: #fbd9d3; color: #8f1d0c; }}
.axis {{ font-size: 10px; fill: #555; }} .legend {{ font-size: 11px; fill: #333; }}
.empty, .meta {{ color: #666; }}
</style></head>
<body>
<h1 id="sync-health">Sync Health</h1>
<p class="meta">Generated {generated} from {html.escape(state_label)}.</p>
<table id="checks"><thead><tr><th>check</th><th>status</th><th>offending rows</th><th>figures</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
{charts_html}
{details}
</body></html>
"""


def _finding_details(finding: HealthFinding, limit: int = 10) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in finding.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))[:80]}</td>" for v in row) + "</tr>"
        for row in finding.rows[:limit]
    )
    more = (
        f'<p class="meta">... and {len(finding.rows) - limit:,} more</p>' if len(finding.rows) > limit else ""
    )
    return (
        f"<section><h2>{html.escape(finding.check.title)}</h2><p>{html.escape(finding.check.description)}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}</section>"
    )


def write_report(path: Path, page: str) -> Path:
    """Write atomically, so a browser never opens half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".html.tmp")
    temp.write_text(page, encoding="utf-8")
    temp.replace(path)
    return path.resolve()
