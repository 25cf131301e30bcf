"""The national page's funnel plot: each organisation's score against how many responded,
with the 95% and 99.8% limits around its group's target (scoring.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assessor.dashboards.figures.common import (
    BAND_STYLE,
    FIGURE_MIN_ORGS,
    INK,
    MANY,
    MUTED,
    Chart,
    Figure,
    Filters,
    Heatmap,
    Scatter,
    Table,
    counted,
    house_layout,
    hover_names,
    in_a_sentence,
    measure_column,
    measure_titles,
    not_shown,
    org_cell,
    org_link,
    plain_names,
    reason_for,
    responded,
    selection,
    titled,
    voice_label,
)
from assessor.results.reading import ResultsView
from assessor.results.snapshot import BANDS
from assessor.web.presentation import number

#: scoring.md conventions.
Z95 = 1.959964
Z998 = 3.090232
#: Above this many organisations with a score, the funnel shades those within its 95% limits by
#: how many there are in each small cell and marks only those outside them, each linked to its
#: organisation. Every chart is SVG (plotly.js's cartesian bundle, which has no WebGL): a mark
#: costs the browser about 0.1 ms to draw, so 7,000 marks would block it for most of a second,
#: and a reader looks for the organisations outside the limits. A region or peer group of up
#: to this many shows every organisation as a mark; the table always lists them all.
FUNNEL_MARKS_MAX = 1500
#: At most this many organisations' own limits are drawn as ticks (an even sample of them by
#: respondents); the table gives every one's.
LIMIT_TICKS_MAX = 300
#: The density's cells: at most this many across the respondents, and this many up the scores.
DENSITY_BINS = (60, 40)
#: The funnel's density of organisations within the limits: light to mid grey, lighter than
#: the limit lines drawn over it.
DENSITY = [[0, "#e4e6e7"], [1, "#8d9499"]]

#: Each organisation's (95% low, 95% high, 99.8% low, 99.8% high) limits, or None (no target).
Limits = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None


@dataclass
class FunnelData:
    """The funnel's organisations: the members of the group whose target it draws that the
    filters choose, in the group's order, with their respondents, scores and bands."""

    by: str
    value: str
    idx: np.ndarray
    rows: np.ndarray
    n: np.ndarray
    y: np.ndarray
    se: np.ndarray
    bands: list
    target: float | None
    tau2: float | None
    #: the top of the scale (the number of rungs).
    top: float = 5.0

    @property
    def shown(self) -> np.ndarray:
        return ~np.isnan(self.y)

    @property
    def within(self) -> np.ndarray:
        return self.shown & np.array([b == "within" for b in self.bands], dtype=bool)

    @property
    def shaded(self) -> bool:
        """Too many to mark one by one: those within the limits are a density."""
        return int(self.shown.sum()) > FUNNEL_MARKS_MAX and bool(self.within.any())

    @property
    def marked(self) -> np.ndarray:
        return self.shown & ~self.within if self.shaded else self.shown


def _funnel_group(f: Filters) -> tuple[str, str]:
    if f.peer_group is not None:
        return "peer_group", f.peer_group
    if f.region is not None:
        return "region", f.region
    return "national", "national"


def funnel_data(view: ResultsView, f: Filters) -> FunnelData:
    by, value = _funnel_group(f)
    idx = selection(view, f)
    inputs = view.funnel(f.audience, f.measure, by, value)
    members = view.snapshot.members(by, value)
    keep = np.isin(members, idx)
    return FunnelData(
        by=by,
        value=value,
        idx=idx,
        rows=members[keep],
        n=inputs.n[keep],
        y=inputs.value[keep],
        se=inputs.se[keep],
        bands=[b for b, k in zip(inputs.bands, keep, strict=True) if k],
        target=inputs.target,
        tau2=inputs.tau2,
        top=float(len(view.q.rungs)),
    )


def _density(x: np.ndarray, y: np.ndarray) -> dict:
    """How many organisations fall in each cell of respondents by score, as a heat map drawn
    under the funnel's lines (an empty cell is left white)."""
    # Respondents are whole numbers: cells a whole number of them wide, or some stay empty.
    step = max(1, int(np.ceil((float(x.max()) + 1.0) / DENSITY_BINS[0])))
    x_edges = np.arange(0.0, float(x.max()) + step + 1.0, step) - 0.5
    lo, hi = float(y.min()), float(y.max())
    y_edges = np.linspace(lo, hi if hi > lo else lo + 1.0, DENSITY_BINS[1] + 1)
    counts, _, _ = np.histogram2d(x, y, bins=[x_edges, y_edges])
    return Heatmap(
        x=(x_edges[:-1] + x_edges[1:]) / 2,
        y=(y_edges[:-1] + y_edges[1:]) / 2,
        z=np.where(counts.T > 0, counts.T, np.nan),
        zmin=1,
        colorscale=DENSITY,
        showscale=False,
        hovertemplate=(
            "%{z} organisations within the 95% limits<br>about %{x:.0f} responded,"
            " score about %{y:.2f}<extra></extra>"
        ),
    )


def _limit_lines(fig: Figure, d: FunnelData, limits: Limits) -> None:
    """The limits against respondents: each organisation's own 95% and 99.8% limits (the limits
    its band is judged by) at its own respondents, joined in order of respondents into the
    funnel they make (a step at each organisation), and the target between them; inside 0..R."""
    assert limits is not None and d.target is not None
    picked = np.flatnonzero(d.shown & np.isfinite(limits[0]))
    picked = picked[np.argsort(d.n[picked], kind="stable")]
    if len(picked) > LIMIT_TICKS_MAX:  # thousands: an even sample along the respondents
        picked = picked[np.linspace(0, len(picked) - 1, LIMIT_TICKS_MAX).round().astype(int)]
    x = d.n[picked]
    styles = ((Z95, "dash", "95% limits", 0, 1), (Z998, "dot", "99.8% limits", 2, 3))
    for _, dash, name, lo, hi in styles:
        for k, show in ((lo, True), (hi, False)):
            fig.add_trace(
                Scatter(
                    x=x,
                    y=limits[k][picked],
                    mode="lines",
                    line={"color": MUTED, "dash": dash, "width": 1.5, "shape": "hv"},
                    name=f"{name} (each organisation's own)",
                    legendgroup=name,
                    showlegend=show,
                    hoverinfo="skip",
                )
            )
    lo_x = float(x.min()) if len(x) else 0.0
    hi_x = float(x.max()) if len(x) else 1.0
    fig.add_trace(
        Scatter(
            x=[lo_x, hi_x],
            y=[d.target, d.target],
            mode="lines",
            line={"color": INK, "width": 1.5},
            name=f"Target {number(d.target)}",
            hoverinfo="skip",
        )
    )


def _limits(d: FunnelData) -> Limits:
    """Each organisation's own limits, from its own standard error, inside 0..R (no score lies
    outside the scale, so neither does a limit: scoring.md)."""
    if d.target is None or d.shown.sum() < 1:
        return None
    with np.errstate(invalid="ignore"):
        half = np.sqrt(d.se**2 + (d.tau2 or 0.0))
    top = d.top
    return tuple(  # type: ignore[return-value]
        np.clip(d.target + z * half, 0.0, top) for z in (-Z95, Z95, -Z998, Z998)
    )


def _band_marks(fig: Figure, view: ResultsView, d: FunnelData) -> None:
    """A trace of marks per band, or for those within the limits when shaded, a legend entry."""
    names = plain_names(view)
    marked = d.marked
    for band in BANDS:
        colour, symbol, words = BAND_STYLE[band]
        if band == "within" and d.shaded:
            fig.add_trace(  # the density's entry in the legend
                Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    marker={"color": DENSITY[1][1], "symbol": "square", "size": 11},
                    name=f"{words}: shaded, darker where more",
                    hoverinfo="skip",
                )
            )
            continue
        picked = [k for k in range(len(d.bands)) if marked[k] and d.bands[k] == band]
        if not picked:
            continue
        fig.add_trace(
            Scatter(
                x=d.n[picked],
                y=d.y[picked],
                mode="markers",
                marker={"color": colour, "symbol": symbol, "size": 9, "line": {"width": 1.5}},
                cliponaxis=False,
                name=words,
                customdata=[view.snapshot.orgs[d.rows[k]] for k in picked],
                **hover_names(
                    [names[d.rows[k]] for k in picked] if marked.sum() < MANY else None,
                    "Score %{y:.2f}, %{x} responded",
                ),
            )
        )


def funnel_figure(view: ResultsView, d: FunnelData, limits: Limits) -> Figure:
    top = float(len(view.q.rungs))
    fig = Figure(layout=house_layout(view, 460))
    if d.shaded:
        fig.add_trace(_density(d.n[d.within], d.y[d.within]))
    if limits is not None:
        _limit_lines(fig, d, limits)
    _band_marks(fig, view, d)
    fig.update_xaxes(title_text="Respondents", showline=True, linecolor=INK, rangemode="tozero")
    fig.update_yaxes(
        title_text=f"Score (0 to {len(view.q.rungs)})",
        showline=True,
        linecolor=INK,
        range=[0, top],
    )
    return fig


def funnel_table(
    view: ResultsView, f: Filters, d: FunnelData, limits: Limits, link: str | None
) -> Table:
    """Every organisation of the funnel, filled only when its rows are read."""
    s = view.snapshot
    reasons = measure_column(view, f, "reason")

    def fill(table: Table) -> None:
        for k in range(len(d.rows)):
            i = int(d.rows[k])
            reason = reasons[i]
            row = [org_cell(view, i), s.meta["regions"][i]]
            if reason:
                words = reason_for(view, reason)
                row += [words] * 5
            else:
                row += [f"{int(d.n[k]):,}", number(float(d.y[k])), BAND_STYLE[d.bands[k]][2]]
                if limits is not None and np.isfinite(limits[0][k]):
                    row += [
                        f"{number(float(limits[0][k]))} to {number(float(limits[1][k]))}",
                        f"{number(float(limits[2][k]))} to {number(float(limits[3][k]))}",
                    ]
                else:
                    row += ["No limits", "No limits"]
            table.rows.append(row)
            table.links.append(org_link(link, s.orgs[i]))

    columns = ["Organisation", "Region", "Respondents", "Score", "Funnel band"]
    return Table([*columns, "95% limits", "99.8% limits"], fill, len(d.rows))


def funnel_summary(view: ResultsView, f: Filters, d: FunnelData, limits: Limits) -> str:
    shown = d.shown
    reasons = measure_column(view, f, "reason")[d.idx]
    group = "all organisations" if d.by == "national" else f"{d.value} ({d.by.replace('_', ' ')})"
    summary = (
        f"Each mark is one organisation's {measure_titles(view)[f.measure].lower()} score"
        f" ({in_a_sentence(f.audience)}), plotted against how many people responded, with the"
        f" limits within which 95% and 99.8% of scores would fall by chance around the target"
        f" of {group}"
        + (f" ({number(d.target)})" if d.target is not None else "")
        + ". A mark beyond the dashed lines (95%) is unusual; beyond the dotted lines (99.8%)"
        " it differs by more than chance would explain."
        f" {counted(int(shown.sum()), 'organisation')} drawn; {responded(view, d.idx)}."
        f" {not_shown(view, reasons)}"
    )
    if view.preview:
        summary = "Preview, not published. " + summary
    if limits is not None:
        summary += (
            " "
            + _band_counts(d)
            + (
                " Each organisation has its own limits, from its own standard error: the lines join"
                " them in order of respondents, and the table gives each one's."
            )
            + overdispersion_sentence(d.tau2, d.se[d.shown])
        )
    if d.target is None:
        summary += " No limits: fewer than 3 organisations have a value, or there is no spread."
    if d.shaded:
        summary += (
            f" The {counted(int(d.within.sum()), 'organisation')} within the 95% limits are too"
            " many to mark one by one: they are shaded grey, darker where more of them are;"
            " each organisation outside the limits is a mark. Choose a region or a peer group"
            " to see every organisation as a mark, or open the table."
        )
    return summary


def overdispersion_sentence(tau2: float | None, se: np.ndarray) -> str:
    """Why the limits may look level rather than a funnel: when organisations differ by more
    than their sizes explain, the limits add that spread (tau2) to each one's own; once it
    outweighs the typical organisation's own uncertainty, size hardly narrows them."""
    if not tau2 or not len(se):
        return ""
    sentence = (
        " Organisations differ from one another by more than their numbers of respondents"
        " would explain, so the limits also allow for that spread (overdispersion)"
    )
    if tau2 >= float(np.median(se**2)):
        return sentence + (
            ", which outweighs the difference that size makes: that is why the limits are"
            " nearly level rather than a funnel."
        )
    return sentence + "."


def band_counts(d: FunnelData) -> dict[str | None, int]:
    """How many drawn organisations are in each band: the marks the sentences count."""
    shown = d.shown
    return {b: sum(1 for k in range(len(d.bands)) if shown[k] and d.bands[k] == b) for b in BANDS}


def _band_counts(d: FunnelData) -> str:
    counts = band_counts(d)
    out95 = sum(counts[b] for b in ("high_95", "high_99.8", "low_95", "low_99.8"))
    out998 = counts["high_99.8"] + counts["low_99.8"]
    above = counts["high_95"] + counts["high_99.8"]
    below = counts["low_95"] + counts["low_99.8"]
    return (
        f"{counted(out95, 'organisation')} {'lies' if out95 == 1 else 'lie'} outside the 95%"
        f" limits ({above} above, {below} below), {out998} of"
        f" {'it' if out95 == 1 else 'them'} outside the 99.8% limits."
    )


def funnel_alt(d: FunnelData) -> str:
    counts = band_counts(d)
    return (
        f"Funnel plot of {int(d.shown.sum())} organisations. {counts['high_99.8']} above the 99.8%"
        f" limit, {counts['high_95']} above the 95% limit only, {counts['within']} within the"
        f" limits, {counts['low_95']} below the 95% limit only, {counts['low_99.8']} below the"
        f" 99.8% limit. {_band_counts(d)}"
    )


def funnel_chart(view: ResultsView, f: Filters, link: str | None) -> Chart:
    d = funnel_data(view, f)
    limits = _limits(d)
    title = titled(
        view, f"Funnel plot: {measure_titles(view)[f.measure]}, {voice_label(f.audience)}"
    )
    summary = funnel_summary(view, f, d, limits)
    drawn = int(d.shown.sum()) >= FIGURE_MIN_ORGS
    if not drawn:
        n = int(d.shown.sum())
        summary = (
            f"{counted(n, 'organisation')} {'has' if n == 1 else 'have'} a score here: fewer"
            f" than {FIGURE_MIN_ORGS}, too few for a funnel plot, so the table lists them with"
            " their own limits. Widen the filters to see the plot."
        )
    return Chart(
        "funnel",
        title,
        summary,
        funnel_alt(d),
        funnel_table(view, f, d, limits, link),
        funnel_figure(view, d, limits).to_json() if drawn else None,
        link,
    )
