"""The organisation page's two charts of differences with 95% intervals around zero: the gap
(staff minus patient leaders) and the trend (the change since the previous campaign)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
from assessor.web.presentation import interval, number, reason_text, trend_break

#: A row of an interval chart: its label, its measure, and the value drawn (None: not drawn).
Row = tuple[str, object, float | None]

TREND_REASONS = {
    "no_previous": "this campaign names no previous campaign to compare with",
}


@dataclass(frozen=True)
class Differences:
    """What tells the gap chart and the trend chart apart: their table's first columns and
    cells (each table ends with the 95% interval and whether it excludes 0), the value drawn,
    and their words."""

    chart_id: str
    columns: list[str]
    cells: Callable[[object], list[str]]
    value: Callable[[object], float | None]
    #: A suppressed measure's label says why, in a word or two.
    unshown: Callable[[object], str]
    #: The value in the legend.
    name: str
    #: The alt text's first words, and its word for a measure with no value.
    alt: str
    missing: str
    #: How many measures are hidden, or that none is.
    some: str
    none: str


GAP = Differences(
    chart_id="gap",
    columns=["Measure", "Staff minus patient leaders"],
    cells=lambda m: [number(m.staff_minus_patient_leader, signed=True)],
    value=lambda m: m.staff_minus_patient_leader,
    unshown=lambda m: "not shown",
    name="Gap",
    alt="Perception gap",
    missing="not shown",
    some="measures are suppressed",
    none="No measure is suppressed.",
)
TREND = Differences(
    chart_id="trend",
    columns=["Measure", "Before", "Now", "Change"],
    cells=lambda m: [number(m.before), number(m.now), number(m.delta, signed=True)],
    value=lambda m: m.delta,
    unshown=lambda m: "not comparable" if m.reason == "not_comparable" else "not shown",
    name="Change",
    alt="Trend",
    missing="none",
    some="measures have no trend",
    none="Every measure has a trend.",
)


def _interval_rows(
    view: ResultsView, d: Differences, container: object
) -> tuple[list[Row], Table, int]:
    """A row per measure for the chart and its table; a suppressed measure's label says
    `d.unshown(m)` and its reason fills every cell of its table row. Also how many are hidden."""
    k = k_of(view)
    rows: list[Row] = []
    columns = [*d.columns, "95% interval", "Significant"]
    table = Table(columns)
    hidden = 0
    for key, title in measure_rows(view):
        m = pick(container, key)
        if m.suppressed:
            hidden += 1
            label = f"{title} ({d.unshown(m)})"
            table.rows.append([title, *[reason_text(m.reason, k)] * (len(columns) - 1)])
        else:
            label = title
            significant = "Yes" if m.significant else "No"
            table.rows.append([title, *d.cells(m), interval(m.ci95), significant])
        rows.append((label, m, d.value(m)))
        table.links.append(None)
    return rows, table, hidden


def _interval_chart(
    view: ResultsView,
    rows: list[Row],
    axis: str,
    name: str,
) -> Figure:
    """Values with 95% intervals, one row per measure, around a zero line."""
    labels = [label for label, _, _ in rows]
    fig = Figure(layout=house_layout(view, 120 + 44 * len(rows)))
    for significant in (True, False):
        drawn = [
            (label, m, v)
            for label, m, v in rows
            if v is not None and bool(getattr(m, "significant", False)) is significant
        ]
        if not drawn:
            continue
        fig.add_trace(
            Scatter(
                y=[p[0] for p in drawn],
                x=[p[2] for p in drawn],
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
                    "array": [p[1].ci95[1] - p[2] for p in drawn],
                    "arrayminus": [p[2] - p[1].ci95[0] for p in drawn],
                    "color": INK,
                    "thickness": 1.5,
                    "width": 5,
                },
                name=f"{name} (interval {'excludes' if significant else 'includes'} 0)",
                hovertemplate="%{y}: %{x:+.2f}<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": MUTED, "width": 1})
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed")
    fig.update_xaxes(title_text=axis, showline=True, linecolor=INK, zeroline=False)
    fig.update_layout(margin={"l": 300})
    return fig


def _differences_chart(
    view: ResultsView, d: Differences, container: object, title: str, axis: str, lead: str
) -> Chart:
    """The chart, its table, and its summary: `lead`, then how many measures are hidden."""
    rows, table, hidden = _interval_rows(view, d, container)
    fig = _interval_chart(view, rows, axis, d.name)
    summary = lead + (f"{hidden} {d.some} (the table says why)." if hidden else d.none)
    alt = f"{d.alt}. " + "; ".join(
        f"{label}: {number(v, signed=True) if v is not None else d.missing}" for label, _, v in rows
    )
    return Chart(d.chart_id, title, summary, alt, table, fig.to_json())


def gap_chart(view: ResultsView, i: int) -> Chart:
    item = view.result(i, "combined")
    org = item.organisation
    title = titled(view, f"{org.name}: staff minus patient leaders, by domain")
    lead = (
        f"How much higher {org.name}'s staff rate it than its patient leaders do, overall and in"
        f" each domain, with 95% intervals; a filled mark's interval excludes 0."
        f" {org_responded(item)}. "
    )
    axis = "Gap in score (right of 0: staff rate higher)"
    return _differences_chart(view, GAP, item.gap, title, axis, lead)


def trend_chart(view: ResultsView, i: int, audience: str) -> Chart:
    item = view.result(i, audience)
    org = item.organisation
    trend = item.trend
    previous = trend.previous or "the previous campaign"
    title = titled(view, f"{org.name}: change since {previous}, {voice_label(audience)}")
    if trend.reason is not None:
        if trend.reason == "not_comparable":
            opens = view.campaign.opens_at  # the revised questionnaire took effect then
            why = trend_break(opens.year if opens else None)
        else:
            why = TREND_REASONS.get(trend.reason or "", reason_text(trend.reason, k_of(view)))
        summary = f"There is no trend for {org.name}: {why}."
        _, table, _ = _interval_rows(view, TREND, trend)
        return Chart("trend", title, summary, summary, table, None)
    fraction = (
        f" {trend.comparable_fraction:.0%} of this version's questions can be compared."
        if trend.comparable_fraction is not None
        else ""
    )
    lead = (
        f"How {org.name}'s scores ({in_a_sentence(audience)}) changed since {previous}, on the"
        f" questions asked in both campaigns, with 95% intervals.{fraction} Domains whose"
        f" questions changed are marked 'not comparable' and have no trend. 'Now' is scored"
        f" on those shared questions only, so it can differ from this campaign's rating."
        f" {org_responded(item)} this time. "
    )
    axis = f"Change in score since {previous}"
    return _differences_chart(view, TREND, trend, title, axis, lead)
