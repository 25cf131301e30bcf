"""The organisation page's two charts of differences with 95% intervals around zero: the gap
(staff minus patient leaders) and the trend (the change since the previous campaign)."""

from __future__ import annotations

from collections.abc import Callable

from assessor.dashboards.figures.common import (
    INK,
    MUTED,
    ORG,
    Chart,
    Figure,
    Scatter,
    Table,
    house_layout,
    in_a_sentence,
    k_of,
    measure_rows,
    org_responded,
    pick,
    titled,
    voice_label,
)
from assessor.results.reading import ResultsView
from assessor.web.presentation import interval, number, reason_text

#: A row of an interval chart: its label, its measure, and the value drawn (None: not drawn).
Row = tuple[str, object, float | None]

TREND_REASONS = {
    "no_previous": "this campaign names no previous campaign to compare with",
    "not_comparable": (
        "the questions, the ladder or the threshold changed too much since the previous"
        " campaign to compare"
    ),
}


def _interval_rows(
    view: ResultsView,
    container: object,
    columns: list[str],
    cells: Callable[[object], list[str]],
    value: Callable[[object], float | None],
    unshown: Callable[[object], str],
) -> tuple[list[Row], Table, int]:
    """A row per measure for the chart and its table; a suppressed measure's label says
    `unshown(m)` and its reason fills every cell of its table row. Also how many are hidden."""
    k = k_of(view)
    rows: list[Row] = []
    table = Table(columns)
    hidden = 0
    for key, title in measure_rows(view):
        m = pick(container, key)
        if m.suppressed:
            hidden += 1
            label = f"{title} ({unshown(m)})"
            table.rows.append([title, *[reason_text(m.reason, k)] * (len(columns) - 1)])
        else:
            label = title
            table.rows.append([title, *cells(m)])
        rows.append((label, m, value(m)))
        table.links.append(None)
    return rows, table, hidden


def _interval_chart(
    view: ResultsView,
    rows: list[Row],
    axis: str,
    marks: dict[str, str],
) -> Figure:
    """Values with 95% intervals, one row per measure, around a zero line."""
    labels = [label for label, _, _ in rows]
    fig = Figure(layout=house_layout(view, 120 + 44 * len(rows)))
    for significant in (True, False):
        pick = [
            (label, m, v)
            for label, m, v in rows
            if v is not None and bool(getattr(m, "significant", False)) is significant
        ]
        if not pick:
            continue
        fig.add_trace(
            Scatter(
                y=[p[0] for p in pick],
                x=[p[2] for p in pick],
                mode="markers",
                marker={
                    "symbol": "circle" if significant else "circle-open",
                    "size": 11,
                    "color": ORG,
                    "line": {"color": INK, "width": 1.5},
                },
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [p[1].ci95[1] - p[2] for p in pick],
                    "arrayminus": [p[2] - p[1].ci95[0] for p in pick],
                    "color": INK,
                    "thickness": 1.5,
                    "width": 5,
                },
                name=marks["sig" if significant else "not"],
                hovertemplate="%{y}: %{x:+.2f}<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": MUTED, "width": 1})
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed")
    fig.update_xaxes(title_text=axis, showline=True, linecolor=INK, zeroline=False)
    fig.update_layout(margin={"l": 300})
    return fig


def gap_chart(view: ResultsView, i: int) -> Chart:
    item = view.result(i, "combined")
    org = item.organisation
    rows, table, hidden = _interval_rows(
        view,
        item.gap,
        ["Measure", "Staff minus patient leaders", "95% interval", "Significant"],
        lambda m: [
            number(m.staff_minus_patient_leader, signed=True),
            interval(m.ci95),
            "Yes" if m.significant else "No",
        ],
        lambda m: m.staff_minus_patient_leader,
        lambda m: "not shown",
    )
    title = titled(view, f"{org.name}: staff minus patient leaders, by domain")
    fig = _interval_chart(
        view,
        rows,
        "Gap in score (right of 0: staff rate higher)",
        {"sig": "Gap (interval excludes 0)", "not": "Gap (interval includes 0)"},
    )
    summary = (
        f"How much higher {org.name}'s staff rate it than its patient leaders do, overall and in"
        f" each domain, with 95% intervals; a filled mark's interval excludes 0."
        f" {org_responded(item)}. "
        + (
            f"{hidden} measures are suppressed (the table says why)."
            if hidden
            else "No measure is suppressed."
        )
    )
    alt = "Perception gap. " + "; ".join(
        f"{r[0]}: {number(r[2], signed=True) if r[2] is not None else 'not shown'}" for r in rows
    )
    return Chart("gap", title, summary, alt, table, fig.to_json())


def trend_chart(view: ResultsView, i: int, audience: str) -> Chart:
    item = view.result(i, audience)
    org = item.organisation
    trend = item.trend
    previous = trend.previous or "the previous campaign"
    rows, table, hidden = _interval_rows(
        view,
        trend,
        ["Measure", "Before", "Now", "Change", "95% interval", "Significant"],
        lambda m: [
            number(m.before),
            number(m.now),
            number(m.delta, signed=True),
            interval(m.ci95),
            "Yes" if m.significant else "No",
        ],
        lambda m: m.delta,
        lambda m: "not comparable" if m.reason == "not_comparable" else "not shown",
    )
    title = titled(view, f"{org.name}: change since {previous}, {voice_label(audience)}")
    if trend.reason is not None:
        why = TREND_REASONS.get(trend.reason or "", reason_text(trend.reason, k_of(view)))
        summary = f"There is no trend for {org.name}: {why}."
        return Chart("trend", title, summary, summary, table, None)
    fig = _interval_chart(
        view,
        rows,
        f"Change in score since {previous}",
        {"sig": "Change (interval excludes 0)", "not": "Change (interval includes 0)"},
    )
    fraction = (
        f" {trend.comparable_fraction:.0%} of this version's questions can be compared."
        if trend.comparable_fraction is not None
        else ""
    )
    summary = (
        f"How {org.name}'s scores ({in_a_sentence(audience)}) changed since {previous}, on the"
        f" questions asked in both campaigns, with 95% intervals.{fraction} Domains whose"
        f" questions changed are marked 'not comparable' and have no trend."
        f" {org_responded(item)} this time. "
        + (
            f"{hidden} measures have no trend (the table says why)."
            if hidden
            else "Every measure has a trend."
        )
    )
    alt = "Trend. " + "; ".join(
        f"{r[0]}: {number(r[2], signed=True) if r[2] is not None else 'none'}" for r in rows
    )
    return Chart("trend", title, summary, alt, table, fig.to_json())
