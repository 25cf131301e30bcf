"""The boards' charts: each a Plotly figure with a sentence saying what it shows, alt text and
a plain table of the same numbers (also the CSV download), built from the results read model
(assessor.results.reading) and never from raw answers.

One colour scheme, readable in greyscale and by colour-blind readers: levels and scores use
cividis (luminance rises steadily from level 0 to the top rung); funnel bands use the
Okabe-Ito blue and vermilion *and* a marker shape each (at national scale those within the
limits are a grey density instead, darker where more); everything else is ink on white, told
apart by line dash or marker shape rather than hue.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.io as pio
from markupsafe import Markup

from assessor.disclosure import FEWER_THAN_K, REASONS
from assessor.results.reading import OVERALL, ResultsView
from assessor.results.snapshot import (
    AUDIENCES,
    BANDS,
)
from assessor.scoring.engine import level_of
from assessor.web.presentation import (
    AUDIENCE_LABELS,
    count_text,
    interval,
    level_label,
    number,
    reason_text,
)

#: scoring.md conventions.
Z95 = 1.959964
Z998 = 3.090232
#: From this many organisations on, a chart's marks carry each organisation's code but not its
#: name (a lighter page; the name is a click away), and the ranked chart is a band and a line.
MANY = 1000
#: Above this many organisations with a score, the funnel shades those within its 95% limits by
#: how many there are in each small cell and marks only those outside them, each linked to its
#: organisation. Every chart is SVG (plotly.js's cartesian bundle, which has no WebGL): a mark
#: costs the browser about 0.1 ms to draw, so 7,000 marks would block it for most of a second,
#: and a reader looks for the organisations outside the limits. A region or peer group of up
#: to this many shows every organisation as a mark; the table always lists them all.
FUNNEL_MARKS_MAX = 1500
#: The density's cells: at most this many across the respondents, and this many up the scores.
DENSITY_BINS = (60, 40)
#: A table longer than this is a page of its own (and a CSV), linked from beside its chart,
#: rather than inlined: 7,000 rows would weigh megabytes and freeze the browser's layout.
INLINE_ROWS = 250
#: Above this many organisations the heat map shows one region at a time.
HEAT_MAX_ROWS = 400
#: Up to this many rows the heat map names each (in code order); above it the rows are too thin
#: to name, so they are ordered by the chosen score, highest first, and the map shows a pattern.
HEAT_NAMED_ROWS = 60
#: The heat map's height at most, in pixels: a region's thousand organisations at 1 px a row.
HEAT_MAX_HEIGHT = 1000

INK = "#0b0c0c"
MUTED = "#505a5f"
QUARTILE = "#c9cdd1"
ORG = "#0072b2"
#: cividis at levels 0..5 (dark blue to yellow; monotone in lightness).
CIVIDIS = "Cividis"
LEVEL_COLOURS = (
    "rgb(0, 34, 78)",
    "rgb(51, 69, 109)",
    "rgb(102, 105, 113)",
    "rgb(149, 143, 118)",
    "rgb(201, 184, 101)",
    "rgb(254, 232, 56)",
)
SUPPRESSED_FILL = "#ffffff"
#: The funnel's density of organisations within the limits: light to mid grey, lighter than
#: the limit lines drawn over it.
DENSITY = [[0, "#e4e6e7"], [1, "#8d9499"]]
SUPPRESSED_CELL = "#dedfe0"
#: band -> (colour, marker symbol, words).
BAND_STYLE: dict[str | None, tuple[str, str, str]] = {
    "high_99.8": ("#0072b2", "triangle-up", "Above the 99.8% limit"),
    "high_95": ("#56b4e9", "triangle-up-open", "Above the 95% limit"),
    "within": ("#8c8c8c", "circle-open", "Within the 95% limits"),
    "low_95": ("#e69f00", "triangle-down-open", "Below the 95% limit"),
    "low_99.8": ("#d55e00", "triangle-down", "Below the 99.8% limit"),
    None: ("#000000", "x-thin-open", "No band (too few organisations or no spread)"),
}
FONT = {"family": "Arial, Helvetica, sans-serif", "size": 13, "color": INK}
PREVIEW = "PREVIEW, not published: "


class Table:
    """Columns and rows of text exactly as shown (and as the CSV has them). A long table can be
    given a `fill` function instead of rows, run only when someone reads its rows: the
    national page says how long it is and links to it, and never formats 7,000 rows."""

    def __init__(
        self,
        columns: list[str],
        fill: Callable[[Table], None] | None = None,
        size: int | None = None,
    ) -> None:
        self.columns = columns
        self._rows: list[list[str]] = []
        #: A link for each row's first cell (an organisation's page), or None.
        self._links: list[str | None] = []
        self._fill = fill
        self._size = size

    def _filled(self) -> None:
        if self._fill is not None:
            fill, self._fill = self._fill, None
            fill(self)

    @property
    def rows(self) -> list[list[str]]:
        self._filled()
        return self._rows

    @property
    def links(self) -> list[str | None]:
        self._filled()
        return self._links

    @property
    def size(self) -> int:
        return self._size if self._fill is not None and self._size is not None else len(self.rows)

    def spans(self, row: list[str]) -> list[tuple[str, int, bool]]:
        """A row's cells after the first, a reason repeated across cells given once with its
        span (the CSV keeps it in every column)."""
        out: list[list] = []
        for cell in row[1:]:
            if out and cell == out[-1][0] and is_reason(cell):
                out[-1][1] += 1
            else:
                out.append([cell, 1])
        return [(text, span, is_reason(text)) for text, span in out]


def is_reason(cell: str) -> bool:
    return cell.startswith(("Not shown", "No trend"))


@dataclass
class Chart:
    id: str
    title: str
    summary: str
    alt: str
    table: Table
    figure: str | None = None
    #: URL of an organisation's page with `__CODE__` for its code: where a click on a point goes.
    link: str | None = None

    @property
    def inline(self) -> bool:
        return self.table.size <= INLINE_ROWS

    @property
    def figure_json(self) -> Markup | None:
        """The figure as JSON that is safe inside a <script type="application/json">."""
        if self.figure is None:
            return None
        safe = (
            self.figure.replace("&", "\\u0026")
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029")
        )
        return Markup(safe)  # noqa: S704 - escaped above; JSON data, never HTML


@dataclass(frozen=True)
class Filters:
    audience: str = "combined"
    measure: str = OVERALL
    region: str | None = None
    peer_group: str | None = None


# --------------------------------------------------------------------------- figures


def _trace(kind: str) -> Callable[..., dict]:
    return lambda **props: {"type": kind, **props}


Scatter, Bar, Heatmap = (_trace(k) for k in ("scatter", "bar", "heatmap"))


def _rounded(value: object) -> object:
    """Floats to 6 decimals (the tables show 2): a lighter page, the same picture."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _magic(props: dict) -> dict:
    """`title_text=...` -> `title={"text": ...}`, as plotly.graph_objects spells it."""
    out: dict = {}
    for key, value in props.items():
        if key == "title_text":
            out.setdefault("title", {})["text"] = value
        else:
            out[key] = value
    return out


class Figure:
    """A figure as the plain dict that plotly.js draws (its schema: plotly.graph_objects).

    Not a `plotly.graph_objects.Figure`: that validates and copies every value on the way in,
    50 to 130 ms a figure, more than the national page's whole budget allows for four of
    them; the tests put every figure through `graph_objects.Figure` instead."""

    def __init__(self, layout: dict) -> None:
        self.data: list[dict] = []
        self.layout = dict(layout)

    def add_trace(self, trace: dict) -> None:
        self.data.append(trace)

    def update_layout(self, **props: object) -> None:
        for key, value in props.items():
            if isinstance(value, dict) and isinstance(self.layout.get(key), dict):
                self.layout[key] = {**self.layout[key], **value}
            else:
                self.layout[key] = value

    def update_xaxes(self, **props: object) -> None:
        self.update_layout(xaxis=_magic(props))

    def update_yaxes(self, **props: object) -> None:
        self.update_layout(yaxis=_magic(props))

    def add_vline(self, x: float, line: dict) -> None:
        shape = {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1}
        self.layout.setdefault("shapes", []).append({**shape, "line": line})

    def to_json(self) -> str:
        body = {"data": [_rounded(t) for t in self.data], "layout": self.layout}
        return pio.to_json(body, validate=False, engine="orjson")


# --------------------------------------------------------------------------- helpers


def _layout(view: ResultsView, height: int, **extra: object) -> dict:
    """The house layout; the chart's title is its heading on the page, not inside the plot.
    A preview carries a mark across the plot itself, so no cut-out of it loses it."""
    layout = dict(
        font=FONT,
        height=height,
        margin={"l": 70, "r": 20, "t": 70, "b": 60},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
        hoverlabel={"font": {"family": FONT["family"]}},
        **extra,
    )
    if view.preview:
        layout["annotations"] = [
            {
                "text": "PREVIEW: NOT PUBLISHED",
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 40, "color": "rgba(212, 53, 28, 0.25)"},
            }
        ]
    return layout


def _json(fig: Figure) -> str:
    return fig.to_json()


def _title(view: ResultsView, text: str) -> str:
    return (PREVIEW if view.preview else "") + text


def _k(view: ResultsView) -> int:
    return int(view.snapshot.meta["min_respondents"])


def _reason(view: ResultsView, code: int) -> str:
    return reason_text(REASONS[int(code)], _k(view))


def _measure_titles(view: ResultsView) -> dict[str, str]:
    titles = {OVERALL: "Overall"}
    titles.update({d.key: d.title for d in view.q.domains})
    return titles


def _voice(audience: str) -> str:
    return AUDIENCE_LABELS[audience]


#: The audience inside a sentence: the rating, or one voice's view.
VOICE_IN_A_SENTENCE = {
    "combined": "the combined rating",
    "staff": "staff only: one voice's view, not the rating",
    "patient_leader": "patient leaders only: one voice's view, not the rating",
}


def _say(audience: str) -> str:
    return VOICE_IN_A_SENTENCE[audience]


def _shown_count(n: Any) -> int | None:
    return None if int(n) == FEWER_THAN_K else int(n)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _responded(view: ResultsView, idx: np.ndarray) -> str:
    """How many responded in these organisations, and the response rate where known."""
    s = view.snapshot
    responses = s["responses"][idx]
    rate = s["rate"][idx]
    withheld = responses == FEWER_THAN_K
    staff, patient = (int(x) for x in np.where(withheld, 0, responses).sum(axis=0))
    text = f"{staff:,} staff and {patient:,} patient leaders responded"
    if withheld.any():
        text += (
            f" in the organisations with at least {_k(view)} of a group (fewer than"
            f" {_k(view)} elsewhere, not counted)"
        )
    known = rate[~np.isnan(rate)]
    if known.size:
        median = float(np.median(known))
        text += f" (a median response rate of {median:.0%} where the number eligible is known)"
    return text


def _not_shown(view: ResultsView, reasons: np.ndarray, what: str = "organisation") -> str:
    """`3 organisations are not shown: 2 because ...; 1 because ...`, or that none is."""
    codes, counts = np.unique(reasons[reasons != 0], return_counts=True)
    if not len(codes):
        return f"No {what} is suppressed."
    total = int(counts.sum())
    parts = [
        f"{c:,} {_reason(view, code).removeprefix('Not shown ')}"
        for code, c in zip(codes, counts, strict=True)
    ]
    verb = "is" if total == 1 else "are"
    return f"{_count(total, what)} {verb} suppressed and not drawn: {'; '.join(parts)}."


def plain(name: str) -> str:
    """A name as text Plotly shows literally: Plotly renders a subset of HTML in labels, hover
    text, legends and annotations, so an imported `<a href=...>` would become a live link."""
    return html.escape(str(name), quote=True)


def _plain_names(view: ResultsView) -> list[str]:
    """Every organisation's name escaped once for a figure (tables escape in their template)."""
    return [plain(name) for name in view.snapshot.meta["names"]]


def _org_cell(view: ResultsView, i: int) -> str:
    meta = view.snapshot.meta
    return f"{meta['names'][i]} ({meta['orgs'][i]})"


def _wrap(text: str, width: int = 14) -> str:
    """A long axis label over lines (plotly breaks lines only at <br>)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _link(template: str | None, code: str) -> str | None:
    return None if template is None else template.replace("__CODE__", code)


#: A heat map whose rows are organisations (their codes) says so in its trace's `meta`, so a
#: click on a cell goes to the row's organisation (dashboards.js); no other heat map links.
ROWS_ARE_ORGANISATIONS = "rows are organisations"
#: Above this many rows a heat map's hover is a template rather than a sentence per cell.
HOVER_WORDS_MAX = 200


def _hover_names(names: list[str] | None, rest: str) -> dict:
    """Hover with each organisation's name, or (thousands of points) its code alone."""
    if names is None:
        return {"hovertemplate": f"%{{customdata}}<br>{rest}<extra></extra>"}
    return {"text": names, "hovertemplate": f"%{{text}} (%{{customdata}})<br>{rest}<extra></extra>"}


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


# --------------------------------------------------------------------------- national page


def selection(view: ResultsView, f: Filters) -> np.ndarray:
    idx, _ = view.snapshot.select(region=f.region, peer_group=f.peer_group)
    return idx


def _funnel_group(f: Filters) -> tuple[str, str]:
    if f.peer_group is not None:
        return "peer_group", f.peer_group
    if f.region is not None:
        return "region", f.region
    return "national", "national"


def funnel_chart(view: ResultsView, f: Filters, link: str | None) -> Chart:
    s = view.snapshot
    titles = _measure_titles(view)
    by, value = _funnel_group(f)
    idx = selection(view, f)
    inputs = view.funnel(f.audience, f.measure, by, value)
    members = s.members(by, value)
    keep = np.isin(members, idx)
    j = s.measure_index(f.measure)
    reasons = s[f"{f.audience}.reason"][idx, j]
    n = inputs.n[keep]
    y = inputs.value[keep]
    se = inputs.se[keep]
    bands = [b for b, k in zip(inputs.bands, keep, strict=True) if k]
    rows_i = members[keep]
    shown = ~np.isnan(y)
    group_words = "all organisations" if by == "national" else f"{value} ({by.replace('_', ' ')})"
    title = _title(view, f"Funnel plot: {titles[f.measure]}, {_voice(f.audience)}")
    target, tau2 = inputs.target, inputs.tau2
    fig = Figure(layout=_layout(view, 460))
    within = shown & np.array([b == "within" for b in bands], dtype=bool)
    shaded = int(shown.sum()) > FUNNEL_MARKS_MAX and bool(within.any())
    marked = shown & ~within if shaded else shown
    if shaded:
        fig.add_trace(_density(n[within], y[within]))
    limits = None
    if target is not None and shown.sum() >= 1:
        with np.errstate(invalid="ignore"):
            spread = se[shown] * np.sqrt(n[shown])
        c = float(np.nanmedian(spread)) if np.isfinite(spread).any() else np.nan
        lo_n = max(1.0, float(n[shown].min()))
        hi_n = float(n[shown].max()) * 1.05
        grid = np.geomspace(lo_n, max(hi_n, lo_n + 1), 60)
        width = np.sqrt((c / np.sqrt(grid)) ** 2 + (tau2 or 0.0))
        for z, dash, name in ((Z95, "dash", "95% limits"), (Z998, "dot", "99.8% limits")):
            for sign, show in ((1, True), (-1, False)):
                fig.add_trace(
                    Scatter(
                        x=grid,
                        y=target + sign * z * width,
                        mode="lines",
                        line={"color": MUTED, "dash": dash, "width": 1.5},
                        name=name,
                        legendgroup=name,
                        showlegend=show,
                        hoverinfo="skip",
                    )
                )
        fig.add_trace(
            Scatter(
                x=[grid[0], grid[-1]],
                y=[target, target],
                mode="lines",
                line={"color": INK, "width": 1.5},
                name=f"Target {number(target)}",
                hoverinfo="skip",
            )
        )
        with np.errstate(invalid="ignore"):
            half = np.sqrt(se**2 + (tau2 or 0.0))
        limits = (
            target - Z95 * half,
            target + Z95 * half,
            target - Z998 * half,
            target + Z998 * half,
        )
    names = _plain_names(view)
    for band in BANDS:
        colour, symbol, words = BAND_STYLE[band]
        if band == "within" and shaded:
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
        pick = [k for k in range(len(bands)) if marked[k] and bands[k] == band]
        if not pick:
            continue
        codes = [s.orgs[rows_i[k]] for k in pick]
        fig.add_trace(
            Scatter(
                x=n[pick],
                y=y[pick],
                mode="markers",
                marker={"color": colour, "symbol": symbol, "size": 9, "line": {"width": 1.5}},
                name=words,
                customdata=codes,
                **_hover_names(
                    [names[rows_i[k]] for k in pick] if marked.sum() < MANY else None,
                    "Score %{y:.2f}, %{x} responded",
                ),
            )
        )
    fig.update_xaxes(title_text="Respondents", showline=True, linecolor=INK, rangemode="tozero")
    fig.update_yaxes(title_text=f"Score (0 to {len(view.q.rungs)})", showline=True, linecolor=INK)

    def fill(table: Table) -> None:
        for k in range(len(rows_i)):
            i = int(rows_i[k])
            reason = s[f"{f.audience}.reason"][i, j]
            row = [_org_cell(view, i), s.meta["regions"][i]]
            if reason:
                words = _reason(view, reason)
                row += [words] * 5
            else:
                row += [f"{int(n[k]):,}", number(float(y[k])), BAND_STYLE[bands[k]][2]]
                if limits is not None and np.isfinite(limits[0][k]):
                    row += [
                        f"{number(float(limits[0][k]))} to {number(float(limits[1][k]))}",
                        f"{number(float(limits[2][k]))} to {number(float(limits[3][k]))}",
                    ]
                else:
                    row += ["No limits", "No limits"]
            table.rows.append(row)
            table.links.append(_link(link, s.orgs[i]))

    table = Table(
        [
            "Organisation",
            "Region",
            "Respondents",
            "Score",
            "Funnel band",
            "95% limits",
            "99.8% limits",
        ],
        fill,
        len(rows_i),
    )
    counts = {b: sum(1 for k in range(len(bands)) if shown[k] and bands[k] == b) for b in BANDS}
    outside = counts["high_99.8"] + counts["low_99.8"]
    summary = (
        f"Each mark is one organisation's {titles[f.measure].lower()} score ({_say(f.audience)}),"
        f" plotted against how many people responded, with the limits within which 95% and"
        f" 99.8% of scores would fall by chance around the target of {group_words}"
        + (f" ({number(target)})" if target is not None else "")
        + ". A mark beyond the dashed lines (95%) is unusual; beyond the dotted lines (99.8%)"
        " it differs by more than chance would explain."
        f" {_count(int(shown.sum()), 'organisation')} drawn; {_responded(view, idx)}."
        f" {_not_shown(view, reasons)}"
    )
    if view.preview:
        summary = "Preview, not published. " + summary
    if f.audience == "combined" and limits is not None:
        summary += (
            " The combined rating has its own standard error for each organisation: the lines"
            " are drawn for a typical one, and the table gives each organisation's own limits."
        )
    if target is None:
        summary += " No limits: fewer than 3 organisations have a value, or there is no spread."
    if shaded:
        summary += (
            f" The {_count(int(within.sum()), 'organisation')} within the 95% limits are too many"
            " to mark one by one: they are shaded grey, darker where more of them are; each"
            " organisation outside the limits is a mark. Choose a region or a peer group to see"
            " every organisation as a mark, or open the table."
        )
    alt = (
        f"Funnel plot of {int(shown.sum())} organisations. {counts['high_99.8']} above the 99.8%"
        f" limit, {counts['high_95']} above the 95% limit only, {counts['within']} within the"
        f" limits, {counts['low_95']} below the 95% limit only, {counts['low_99.8']} below the"
        f" 99.8% limit: {outside} differ from the target by more than chance would explain."
    )
    return Chart("funnel", title, summary, alt, table, _json(fig), link)


def levels_chart(view: ResultsView, f: Filters) -> Chart:
    s = view.snapshot
    titles = _measure_titles(view)
    idx = selection(view, f)
    j = s.measure_index(f.measure)
    values = s[f"{f.audience}.value"][idx, j]
    reasons = s[f"{f.audience}.reason"][idx, j]
    n_rungs = len(view.q.rungs)
    levels = level_of(values, n_rungs)
    region_of = np.array([s.meta["regions"][i] for i in idx], dtype=object)
    regions = sorted(set(region_of.tolist()))
    shown_regions = [plain(region) for region in regions]
    counts = np.zeros((len(regions), n_rungs + 1), dtype=int)
    suppressed = np.zeros(len(regions), dtype=int)
    for r, region in enumerate(regions):
        mine = region_of == region
        suppressed[r] = int((reasons[mine] != 0).sum())
        lv = levels[mine & (reasons == 0)]
        counts[r] = np.bincount(lv[lv >= 0], minlength=n_rungs + 1)[: n_rungs + 1]
    title = _title(view, f"Levels by region: {titles[f.measure]}, {_voice(f.audience)}")
    fig = Figure(layout=_layout(view, 120 + 48 * max(1, len(regions)), barmode="stack"))
    for level in range(n_rungs + 1):
        fig.add_trace(
            Bar(
                y=shown_regions,
                x=counts[:, level],
                orientation="h",
                name=f"{level} {level_label(view.q, level)}",
                marker={
                    "color": LEVEL_COLOURS[level % len(LEVEL_COLOURS)],
                    "line": {"width": 1, "color": "#ffffff"},
                },
                hovertemplate="%{y}: %{x} organisations<extra></extra>",
            )
        )
    fig.add_trace(
        Bar(
            y=shown_regions,
            x=suppressed,
            orientation="h",
            name="Suppressed (not shown)",
            marker={
                "color": SUPPRESSED_FILL,
                "pattern": {"shape": "/", "fgcolor": MUTED},
                "line": {"color": MUTED, "width": 1},
            },
            hovertemplate="%{y}: %{x} suppressed<extra></extra>",
        )
    )
    fig.update_layout(margin={"l": 190, "t": 90})
    fig.update_xaxes(title_text="Organisations", showline=True, linecolor=INK)
    fig.update_yaxes(autorange="reversed")
    columns = ["Region"] + [f"{lv} {level_label(view.q, lv)}" for lv in range(n_rungs + 1)]
    table = Table([*columns, "Suppressed", "Organisations"])
    for r, region in enumerate(regions):
        table.rows.append(
            [
                region,
                *(str(int(c)) for c in counts[r]),
                str(suppressed[r]),
                str(counts[r].sum() + suppressed[r]),
            ]
        )
        table.links.append(None)
    summary = (
        f"How many organisations in each region reach each level of the ladder on"
        f" {titles[f.measure].lower()} ({_say(f.audience)}); {_responded(view, idx)}."
        f" Suppressed organisations are counted in their own hatched bar, never as level 0."
        f" {_not_shown(view, reasons)}"
    )
    top = counts.sum(axis=0)
    alt = (
        "Stacked bars by region. Across them: "
        + ", ".join(f"{int(top[lv])} at level {lv}" for lv in range(n_rungs + 1))
        + f", and {int(suppressed.sum())} suppressed."
    )
    return Chart("levels", title, summary, alt, table, _json(fig))


def heatmap_chart(view: ResultsView, f: Filters, link: str | None) -> Chart:
    s = view.snapshot
    idx = selection(view, f)
    region = f.region
    narrowed = ""
    if region is None and len(idx) > HEAT_MAX_ROWS:
        regions = sorted({s.meta["regions"][i] for i in idx})
        region = regions[0]
        idx = np.array([i for i in idx if s.meta["regions"][i] == region], dtype=np.int64)
        narrowed = (
            f" There are too many organisations to draw at once, so this map shows {region};"
            " choose a region above to see another."
        )
    named = len(idx) <= HEAT_NAMED_ROWS
    ordered = ""
    measure = _measure_titles(view)[f.measure].lower()
    if not named:
        j = s.measure_index(f.measure)
        key = np.where(
            s[f"{f.audience}.reason"][idx, j] == 0, s[f"{f.audience}.value"][idx, j], -np.inf
        )
        idx = idx[np.argsort(-key, kind="stable")]
        ordered = (
            f" The rows are ordered by {measure} score, highest"
            " at the top (suppressed last); point at a row for its organisation, or open the"
            " table, in the same order."
        )
    domains = view.q.domains
    z = np.column_stack([s[f"{f.audience}.value"][idx, j + 1] for j in range(len(domains))])
    reasons = np.column_stack(
        [s[f"{f.audience}.reason"][idx, j + 1] for j in range(len(domains))]
    ).reshape(len(idx), len(domains))
    z = z.reshape(len(idx), len(domains))
    columns = [_wrap(d.title) for d in domains]
    codes = [s.orgs[i] for i in idx]
    where = f" in {region}" if region else ""
    title = _title(view, f"Scores by organisation and domain{where}: {_voice(f.audience)}")
    height = int(min(HEAT_MAX_HEIGHT, max(320, 16 * len(idx) + 160)))
    fig = Figure(layout=_layout(view, height))
    names = _plain_names(view)
    if len(idx) <= HOVER_WORDS_MAX:
        words = [
            [
                f"{names[i]} ({s.orgs[i]})<br>{plain(d.title)}: "
                + (number(float(z[r, c])) if reasons[r, c] == 0 else _reason(view, reasons[r, c]))
                for c, d in enumerate(domains)
            ]
            for r, i in enumerate(idx)
        ]
        hover: dict = {"hovertext": words, "hoverinfo": "text"}
        hover_hidden = hover
    else:  # thousands of cells: a template, not a sentence each
        hover = {"hovertemplate": "%{y}, %{x}: %{z:.2f}<extra></extra>"}
        hover_hidden = {"hovertemplate": "%{y}, %{x}: not shown<extra></extra>"}
    fig.add_trace(
        Heatmap(
            z=z,
            x=columns,
            y=codes,
            zmin=0,
            zmax=len(view.q.rungs),
            colorscale=CIVIDIS,
            colorbar={"title": {"text": "Score"}},
            meta=ROWS_ARE_ORGANISATIONS,
            **hover,
            xgap=1,
            ygap=1 if len(idx) <= 100 else 0,
        )
    )
    hidden = reasons != 0
    if hidden.any():
        # Suppressed cells drawn grey and labelled, never left blank or coloured as a score.
        fig.add_trace(
            Heatmap(
                z=np.where(hidden, 1.0, np.nan),
                x=columns,
                y=codes,
                colorscale=[[0, SUPPRESSED_CELL], [1, SUPPRESSED_CELL]],
                showscale=False,
                meta=ROWS_ARE_ORGANISATIONS,
                **(
                    {
                        "text": np.where(hidden, "not shown", "").tolist(),
                        "texttemplate": "%{text}",
                        "textfont": {"color": INK, "size": 11},
                    }
                    if named
                    else {}
                ),
                **hover_hidden,
                xgap=1,
                ygap=1 if len(idx) <= 100 else 0,
            )
        )
    fig.update_yaxes(autorange="reversed", showticklabels=named, ticks="", type="category")
    if not named:
        fig.update_yaxes(title_text=f"{len(idx):,} organisations, highest {measure} score first")
    # Domain titles over lines; turned by plotly.js only if a narrow screen makes them overlap.
    fig.update_xaxes(side="top", automargin=True)
    fig.update_layout(margin={"t": 100}, plot_bgcolor="#ffffff")

    def fill(table: Table) -> None:
        for r, i in enumerate(idx):
            table.rows.append(
                [_org_cell(view, int(i))]
                + [
                    number(float(z[r, c])) if reasons[r, c] == 0 else _reason(view, reasons[r, c])
                    for c in range(len(domains))
                ]
            )
            table.links.append(_link(link, s.orgs[int(i)]))

    table = Table(["Organisation", *(d.title for d in domains)], fill, len(idx))
    summary = (
        f"Each row is an organisation{where}, each column a domain; darker is a lower score,"
        f" yellower a higher one ({_say(f.audience)}). Grey cells"
        + (" marked 'not shown'" if named else "")
        + f" are suppressed: the table says why. {_responded(view, idx)}. "
        + _not_shown(view, reasons.ravel(), "domain score")
        + narrowed
        + ordered
    )
    shown = reasons == 0
    means = [
        f"{d.title} {number(float(np.nanmean(z[shown[:, c], c])))}"
        for c, d in enumerate(domains)
        if shown[:, c].any()
    ]
    alt = (
        f"Heat map of {len(idx)} organisations by {len(domains)} domains. Mean score by domain: "
        + ", ".join(means)
        + f". {int((~shown).sum())} cells suppressed."
    )
    return Chart("heatmap", title, summary, alt, table, _json(fig), link)


def ranked_chart(view: ResultsView, f: Filters, link: str | None) -> Chart:
    s = view.snapshot
    titles = _measure_titles(view)
    idx = selection(view, f)
    j = s.measure_index(f.measure)
    reasons = s[f"{f.audience}.reason"][idx, j]
    keep = idx[reasons == 0]
    values = s[f"{f.audience}.value"][keep, j]
    order = np.argsort(-values, kind="stable")
    keep, values = keep[order], values[order]
    lo = s[f"{f.audience}.lo"][keep, j]
    hi = s[f"{f.audience}.hi"][keep, j]
    ranks = np.arange(1, len(keep) + 1)
    codes = [s.orgs[i] for i in keep]
    names = _plain_names(view)
    title = _title(
        view, f"Ranked scores with 95% intervals: {titles[f.measure]}, {_voice(f.audience)}"
    )
    fig = Figure(layout=_layout(view, 440))
    big = len(keep) >= MANY
    if big:
        # Thousands of organisations: the intervals as a shaded band and the scores as a line
        # through them (three SVG paths, drawn in milliseconds; each point still hovers and
        # clicks through to its organisation).
        for edge, fill in ((hi, "none"), (lo, "tonexty")):
            fig.add_trace(
                Scatter(
                    x=ranks,
                    y=edge,
                    mode="lines",
                    line={"color": QUARTILE, "width": 0.5},
                    fill=fill,
                    fillcolor=QUARTILE,
                    name="95% interval",
                    legendgroup="interval",
                    showlegend=fill != "none",
                    hoverinfo="skip",
                )
            )
    errors = {
        "type": "data",
        "symmetric": False,
        "array": hi - values,
        "arrayminus": values - lo,
        "color": MUTED,
        "thickness": 1,
        "width": 0 if len(keep) > 60 else 3,
    }
    fig.add_trace(
        Scatter(
            x=ranks,
            y=values,
            mode="lines" if big else "markers",
            line={"color": ORG, "width": 2},
            marker={"color": ORG, "size": 8, "symbol": "diamond"},
            **({} if big else {"error_y": errors}),
            customdata=codes,
            name="Score" if big else "Score and 95% interval",
            **_hover_names(
                [names[i] for i in keep] if len(keep) < MANY else None,
                "Rank %{x}: %{y:.2f}",
            ),
        )
    )
    fig.update_xaxes(title_text="Rank (1 = highest)", showline=True, linecolor=INK)
    fig.update_yaxes(title_text="Score", showline=True, linecolor=INK)

    def fill(table: Table) -> None:
        n_rungs = len(view.q.rungs)
        levels = level_of(values, n_rungs)
        for r, i in enumerate(keep):
            table.rows.append(
                [
                    _org_cell(view, int(i)),
                    str(r + 1),
                    number(float(values[r])),
                    interval([float(lo[r]), float(hi[r])]),
                    level_label(view.q, int(levels[r])),
                ]
            )
            table.links.append(_link(link, s.orgs[int(i)]))
        for i, reason in zip(idx[reasons != 0], reasons[reasons != 0], strict=True):
            table.rows.append([_org_cell(view, int(i)), "Not ranked", *[_reason(view, reason)] * 3])
            table.links.append(_link(link, s.orgs[int(i)]))

    table = Table(["Organisation", "Rank", "Score", "95% interval", "Level"], fill, len(idx))
    overlap = ""
    if len(keep) >= 2:
        top_lo = float(lo[0])
        overlapping = int((hi >= top_lo).sum()) - 1
        overlap = (
            f" The highest-ranked organisation's interval overlaps {overlapping:,} others':"
            " ranks close together are not reliably different."
        )
    summary = (
        f"Organisations ranked by {titles[f.measure].lower()} score ({_say(f.audience)}),"
        f" each with its 95% interval. {_count(len(keep), 'organisation')} ranked;"
        f" {_responded(view, idx)}. {_not_shown(view, reasons)}{overlap}"
    )
    alt = f"Ranked chart of {len(keep)} scores" + (
        f" from {number(float(values[0]))} down to {number(float(values[-1]))}."
        if len(keep)
        else "."
    )
    return Chart("ranked", title, summary, alt, table, _json(fig), link)


def responses_chart(view: ResultsView, f: Filters, link: str | None) -> Chart:
    """While scores are hidden: response counts and rates only (a table, no figure)."""
    s = view.snapshot
    idx = selection(view, f)
    table = Table(
        [
            "Organisation",
            "Region",
            "Staff responses",
            "Staff response rate",
            "Patient-leader responses",
            "Patient-leader response rate",
        ]
    )
    for i in idx:
        row = [_org_cell(view, int(i)), s.meta["regions"][i]]
        for b in range(len(AUDIENCES)):
            rate = s["rate"][i, b]
            row += [
                count_text(_shown_count(s["responses"][i, b]), _k(view)),
                "Not known" if np.isnan(rate) else f"{rate:.0%}",
            ]
        table.rows.append(row)
        table.links.append(_link(link, s.orgs[int(i)]))
    summary = (
        f"Responses so far in {_count(len(idx), 'organisation')}: {_responded(view, idx)}."
        " Scores are not shown until the campaign closes."
    )
    return Chart("responses", "Responses so far", summary, summary, table, None, link)


def national(view: ResultsView, f: Filters, link: str | None) -> list[Chart]:
    if view.hidden:
        return [responses_chart(view, f, link)]
    return [
        funnel_chart(view, f, link),
        levels_chart(view, f),
        heatmap_chart(view, f, link),
        ranked_chart(view, f, link),
    ]


NATIONAL_CHARTS: dict[str, Callable[..., Chart]] = {
    "funnel": funnel_chart,
    "levels": lambda view, f, link: levels_chart(view, f),
    "heatmap": heatmap_chart,
    "ranked": ranked_chart,
    "responses": responses_chart,
}


# --------------------------------------------------------------------------- organisation page


def _measure_rows(view: ResultsView) -> list[tuple[str, str]]:
    titles = _measure_titles(view)
    return [(m, titles[m]) for m in view.measures]


def _pick(container: object, measure: str) -> object:
    return container.overall if measure == OVERALL else container.domains[measure]  # type: ignore[attr-defined]


def _org_responded(item: object) -> str:
    r = item.responses  # type: ignore[attr-defined]
    rate = item.response_rate  # type: ignore[attr-defined]
    k = item.scoring.min_respondents  # type: ignore[attr-defined]
    text = (
        f"{count_text(r['staff'], k)} staff and {count_text(r['patient_leader'], k)}"
        " patient leaders responded"
    )
    known = [
        f"{rate[a]:.0%} of {who}"
        for a, who in (("staff", "staff"), ("patient_leader", "patient leaders"))
        if rate[a] is not None
    ]
    return text + (f" ({' and '.join(known)} eligible)" if known else "")


def profile_chart(view: ResultsView, i: int, audience: str) -> Chart:
    """The organisation's scores by domain against its peer group's median and quartiles."""
    item = view.result(i, audience)
    org = item.organisation
    peers = view.group(audience, "peer_group", org.peer_group)
    k = _k(view)
    rows = _measure_rows(view)
    labels, score, lo, hi, median, q1, q3 = [], [], [], [], [], [], []
    table = Table(
        [
            "Measure",
            "Score",
            "95% interval",
            "Level",
            "Peer-group median",
            "Peer-group middle half (q1 to q3)",
            "Peer organisations shown",
        ]
    )
    suppressed = 0
    for key, title in rows:
        m = _pick(item, key)
        g = _pick(peers, key)
        label = title if not m.suppressed else f"{title} (not shown)"
        labels.append(label)
        score.append(m.score)
        lo.append(m.ci95[0] if m.ci95 else None)
        hi.append(m.ci95[1] if m.ci95 else None)
        median.append(g.median)
        q1.append(g.q1)
        q3.append(g.q3)
        suppressed += m.suppressed
        row = [title]
        if m.suppressed:
            row += [reason_text(m.reason, k)] * 3
        else:
            row += [number(m.score), interval(m.ci95), level_label(view.q, m.level)]
        row += [
            number(g.median) if g.median is not None else "No peers shown",
            f"{number(g.q1)} to {number(g.q3)}" if g.q1 is not None else "No peers shown",
            f"{g.n_orgs} of {g.n_orgs + g.n_suppressed}",
        ]
        table.rows.append(row)
        table.links.append(None)
    title = _title(view, f"{org.name}: scores against its peer group ({org.peer_group})")
    fig = Figure(layout=_layout(view, 120 + 46 * len(rows), barmode="overlay"))
    width = [None if a is None or b is None else b - a for a, b in zip(q1, q3, strict=True)]
    fig.add_trace(
        Bar(
            y=labels,
            x=width,
            base=q1,
            orientation="h",
            marker={"color": QUARTILE},
            width=0.5,
            name="Peer group: middle half (q1 to q3)",
            hovertemplate="%{y}: peers' middle half from %{base:.2f}<extra></extra>",
        )
    )
    fig.add_trace(
        Scatter(
            y=labels,
            x=median,
            mode="markers",
            marker={"symbol": "line-ns-open", "size": 22, "color": INK, "line": {"width": 3}},
            name="Peer-group median",
            hovertemplate="%{y}: peer median %{x:.2f}<extra></extra>",
        )
    )
    arr = [None if s is None else h - s for s, h in zip(score, hi, strict=True)]
    arrm = [None if s is None else s - lo_ for s, lo_ in zip(score, lo, strict=True)]
    fig.add_trace(
        Scatter(
            y=labels,
            x=score,
            mode="markers",
            marker={
                "symbol": "diamond",
                "size": 12,
                "color": ORG,
                "line": {"color": INK, "width": 1},
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": arr,
                "arrayminus": arrm,
                "color": INK,
                "thickness": 1.5,
                "width": 5,
            },
            name=f"{plain(org.name)} with 95% interval",
            hovertemplate="%{y}: %{x:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title_text=f"Score (0 to {len(view.q.rungs)})",
        range=[0, len(view.q.rungs)],
        showline=True,
        linecolor=INK,
        dtick=1,
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(margin={"l": 230})
    n_resp = _org_responded(item)
    summary = (
        f"{org.name}'s scores ({_say(audience)}), overall and in each domain, each diamond with"
        f" its 95% interval, against the {peers.overall.n_orgs + peers.overall.n_suppressed}"
        f" organisations of its peer group: the grey bar is their middle half and the black"
        f" line their median. {n_resp}. "
        + (
            f"{suppressed} of {len(rows)} measures are suppressed (the table says why)."
            if suppressed
            else "No measure is suppressed."
        )
    )
    alt = "Domain profile. " + "; ".join(
        f"{t}: {number(s_) if s_ is not None else 'not shown'}, peer median {number(m_)}"
        for (_, t), s_, m_ in zip(rows, score, median, strict=True)
    )
    return Chart("profile", title, summary, alt, table, _json(fig))


def _strongest_above(view: ResultsView, item: object, body: dict) -> str:
    """The highest met share on a rung above the first rung a domain has not met."""
    best: tuple[float, str, str] | None = None
    for d in view.q.domains:
        m = item.domains[d.key]  # type: ignore[attr-defined]
        if m.suppressed or m.level is None:
            continue
        for r in view.q.rungs[m.level + 1 :]:  # above the first rung not met
            cell = body[d.key][r.key]
            if not cell.suppressed and (best is None or cell.met_share > best[0]):
                best = (cell.met_share, d.title, r.label)
    if best is None or best[0] < 0.5:
        return ""
    return f"Strongest above a rung not yet met: {best[2]} in {best[1]}, met by {best[0]:.0%}. "


def rungs_chart(view: ResultsView, i: int, voice: str, profiles: dict) -> Chart:
    """Share of one voice's respondents meeting each rung, per domain (scoring.md s.3)."""
    org = view.org_ref(i)
    k = _k(view)
    rungs = view.q.rungs
    domains = view.q.domains
    body = profiles[voice]["rungs"]
    item = view.result(i, voice)
    z, text = [], []
    table = Table(["Domain", "Level reached", *(r.label for r in rungs)])
    hidden = 0
    for d in domains:
        zr, tr = [], []
        m = item.domains[d.key]
        row = [
            d.title,
            level_label(view.q, m.level) if not m.suppressed else reason_text(m.reason, k),
        ]
        for r in rungs:
            cell = body[d.key][r.key]
            if cell.suppressed:
                hidden += 1
                zr.append(None)
                tr.append("not shown")
                row.append(reason_text(cell.reason, k))
            else:
                zr.append(cell.met_share)
                tr.append(f"{cell.met_share:.0%}")
                row.append(f"{cell.met_share:.0%} of {cell.n}")
        z.append(zr)
        text.append(tr)
        table.rows.append(row)
        table.links.append(None)
    who = "staff" if voice == "staff" else "patient leaders"
    title = _title(view, f"Rungs met by domain: {AUDIENCE_LABELS[voice]}")
    fig = Figure(layout=_layout(view, 120 + 44 * len(domains)))
    fig.add_trace(
        Heatmap(
            z=z,
            x=[r.label for r in rungs],
            y=[d.title for d in domains],
            zmin=0,
            zmax=1,
            colorscale=CIVIDIS,
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
            colorbar={"title": {"text": "Share meeting"}, "tickformat": ".0%"},
            xgap=2,
            ygap=2,
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    fig.update_layout(margin={"l": 230, "t": 90})
    n = item.responses[voice]
    summary = (
        f"For each domain and rung of the ladder, the share of {org.name}'s {who} whose answers"
        f" meet that rung ({count_text(n, _k(view))} {who} responded). The level counts rungs"
        " from the bottom up; this profile does not, so it shows where the organisation is"
        " strong even above a rung it"
        f" has not met. {_strongest_above(view, item, body)}"
        + (
            f"{hidden} cells are suppressed (written 'not shown'; the table says why)."
            if hidden
            else "No cell is suppressed."
        )
    )
    alt = f"Rung profile of {who}. " + "; ".join(
        f"{d.title}: " + ", ".join(f"{r.label} {t}" for r, t in zip(rungs, tr, strict=True))
        for d, tr in zip(domains, text, strict=True)
    )
    return Chart(f"rungs-{voice}", title, summary, alt, table, _json(fig))


def _interval_chart(
    view: ResultsView,
    chart_id: str,
    title: str,
    rows: list[tuple[str, object, float | None]],
    axis: str,
    marks: dict[str, str],
) -> Figure:
    """Values with 95% intervals, one row per measure, around a zero line."""
    labels = [label for label, _, _ in rows]
    fig = Figure(layout=_layout(view, 120 + 44 * len(rows)))
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
    k = _k(view)
    rows, table = (
        [],
        Table(["Measure", "Staff minus patient leaders", "95% interval", "Significant"]),
    )
    hidden = 0
    for key, title in _measure_rows(view):
        m = _pick(item.gap, key)
        label = title if not m.suppressed else f"{title} (not shown)"
        rows.append((label, m, m.staff_minus_patient_leader))
        if m.suppressed:
            hidden += 1
            table.rows.append([title, *[reason_text(m.reason, k)] * 3])
        else:
            table.rows.append(
                [
                    title,
                    number(m.staff_minus_patient_leader, signed=True),
                    interval(m.ci95),
                    "Yes" if m.significant else "No",
                ]
            )
        table.links.append(None)
    title = _title(view, f"{org.name}: staff minus patient leaders, by domain")
    fig = _interval_chart(
        view,
        "gap",
        title,
        rows,
        "Gap in score (right of 0: staff rate higher)",
        {"sig": "Gap (interval excludes 0)", "not": "Gap (interval includes 0)"},
    )
    summary = (
        f"How much higher {org.name}'s staff rate it than its patient leaders do, overall and in"
        f" each domain, with 95% intervals; a filled mark's interval excludes 0."
        f" {_org_responded(item)}. "
        + (
            f"{hidden} measures are suppressed (the table says why)."
            if hidden
            else "No measure is suppressed."
        )
    )
    alt = "Perception gap. " + "; ".join(
        f"{r[0]}: {number(r[2], signed=True) if r[2] is not None else 'not shown'}" for r in rows
    )
    return Chart("gap", title, summary, alt, table, _json(fig))


TREND_REASONS = {
    "no_previous": "this campaign names no previous campaign to compare with",
    "not_comparable": (
        "the questions, the ladder or the threshold changed too much since the previous"
        " campaign to compare"
    ),
}


def trend_chart(view: ResultsView, i: int, audience: str) -> Chart:
    item = view.result(i, audience)
    org = item.organisation
    trend = item.trend
    k = _k(view)
    previous = trend.previous or "the previous campaign"
    table = Table(["Measure", "Before", "Now", "Change", "95% interval", "Significant"])
    rows = []
    hidden = 0
    for key, title in _measure_rows(view):
        m = _pick(trend, key)
        if m.suppressed:
            hidden += 1
            label = f"{title} ({'not comparable' if m.reason == 'not_comparable' else 'not shown'})"
            table.rows.append([title, *[reason_text(m.reason, k)] * 5])
        else:
            label = title
            table.rows.append(
                [
                    title,
                    number(m.before),
                    number(m.now),
                    number(m.delta, signed=True),
                    interval(m.ci95),
                    "Yes" if m.significant else "No",
                ]
            )
        rows.append((label, m, m.delta))
        table.links.append(None)
    title = _title(view, f"{org.name}: change since {previous}, {_voice(audience)}")
    if trend.reason is not None:
        why = TREND_REASONS.get(trend.reason or "", reason_text(trend.reason, k))
        summary = f"There is no trend for {org.name}: {why}."
        return Chart("trend", title, summary, summary, table, None)
    fig = _interval_chart(
        view,
        "trend",
        title,
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
        f"How {org.name}'s scores ({_say(audience)}) changed since {previous}, on the questions"
        f" asked in both campaigns, with 95% intervals.{fraction} Domains whose questions changed"
        f" are marked 'not comparable' and have no trend. {_org_responded(item)} this time. "
        + (
            f"{hidden} measures have no trend (the table says why)."
            if hidden
            else "Every measure has a trend."
        )
    )
    alt = "Trend. " + "; ".join(
        f"{r[0]}: {number(r[2], signed=True) if r[2] is not None else 'none'}" for r in rows
    )
    return Chart("trend", title, summary, alt, table, _json(fig))


def answers_chart(view: ResultsView, i: int, profiles: dict) -> Chart:
    """'Don't know' (and, where offered, 'does not happen here') shares per item."""
    org = view.org_ref(i)
    k = _k(view)
    items = view.q.scored_items
    offers_not_happening = any("not_happening" in it.option_keys() for it in items)
    kinds = [("dont_know", "Don't know")]
    if offers_not_happening:
        kinds.append(("not_happening", "Does not happen here"))
    voices = {"staff": "Staff", "patient_leader": "Patient leaders"}
    columns = ["Item", "Question"]
    for _, who in voices.items():
        for _, what in kinds:
            columns.append(f"{who}: {what}")
    table = Table(columns)
    for it in items:
        row = [it.link_id, it.text]
        for voice in voices:
            cell = profiles[voice]["items"][it.link_id]
            for key, _ in kinds:
                if cell.suppressed:
                    row.append(reason_text(cell.reason, k))
                else:
                    row.append(f"{getattr(cell, key):.0%} of {cell.n}")
        table.rows.append(row)
        table.links.append(None)
    title = _title(view, f'{org.name}: "don\'t know" answers by question')
    fig = Figure(layout=_layout(view, 140 + 22 * len(items) * len(kinds), barmode="group"))
    styles = {"staff": (ORG, ""), "patient_leader": ("#e69f00", "/")}
    for voice, who in voices.items():
        colour, pattern = styles[voice]
        for key, what in kinds:
            xs = [getattr(profiles[voice]["items"][it.link_id], key) for it in items]
            fig.add_trace(
                Bar(
                    y=[it.link_id for it in items],
                    x=xs,
                    orientation="h",
                    name=f"{who}: {what}",
                    marker={
                        "color": colour,
                        "pattern": {"shape": pattern, "fgcolor": INK} if pattern else None,
                        "line": {"color": INK, "width": 0.5},
                    },
                    hovertext=[it.text for it in items],
                    hovertemplate="%{y}: %{x:.0%}<br>%{hovertext}<extra></extra>",
                )
            )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(
        title_text="Share of respondents shown the question",
        tickformat=".0%",
        range=[0, 1],
        showline=True,
        linecolor=INK,
    )
    fig.update_layout(margin={"l": 80}, bargap=0.25)
    hidden = sum(profiles[v]["items"][it.link_id].suppressed for v in voices for it in items)
    worst = []
    for voice, who in voices.items():
        shares = [
            (profiles[voice]["items"][it.link_id].dont_know, it.link_id)
            for it in items
            if not profiles[voice]["items"][it.link_id].suppressed
        ]
        if shares:
            share, link_id = max(shares)
            worst.append(f"{who.lower()} most often to {link_id} ({share:.0%})")
    responded = _org_responded(view.result(i, "combined"))
    summary = (
        f"The share of {org.name}'s staff and patient leaders who answered \"don't know\" to each"
        " question"
        + (', and "this does not happen here"' if offers_not_happening else "")
        + f". A high share among staff is itself a finding. {responded}."
        + (f' "Don\'t know" was answered by {"; by ".join(worst)}.' if worst else "")
        + (
            f" {hidden} shares are suppressed (empty bars; the table says why)."
            if hidden
            else " No share is suppressed."
        )
        + (
            ""
            if offers_not_happening
            else " This questionnaire version does not offer 'does not happen here'."
        )
    )
    alt = "Don't know shares: answered by " + ("; by ".join(worst) if worst else "none shown") + "."
    return Chart("answers", title, summary, alt, table, _json(fig))


def percentile_chart(view: ResultsView, i: int, audience: str) -> Chart:
    item = view.result(i, audience)
    k = _k(view)
    groups = {
        "national": "nationally",
        "region": f"in {item.organisation.region}",
        "peer_group": f"in {item.organisation.peer_group}",
    }
    table = Table(
        ["Measure"]
        + [f"Percentile {w}" for w in groups.values()]
        + [f"Funnel band {w}" for w in groups.values()]
    )
    for key, title in _measure_rows(view):
        m = _pick(item, key)
        if m.suppressed:
            table.rows.append([title, *[reason_text(m.reason, k)] * 6])
        else:
            table.rows.append(
                [title]
                + [
                    f"{m.percentile[g]:.0f}" if m.percentile[g] is not None else "None"
                    for g in groups
                ]
                + [BAND_STYLE[m.funnel[g]][2] for g in groups]
            )
        table.links.append(None)
    title = _title(view, f"Percentiles: {_voice(audience)}")
    summary = (
        "Where the organisation stands among the organisations of each group (100 is the top,"
        " 50 the middle; suppressed organisations are left out of every group), and whether its"
        f" score is inside the funnel limits of that group. {_org_responded(item)}."
    )
    return Chart("percentiles", title, summary, summary, table, None)


def org_responses_chart(view: ResultsView, i: int) -> Chart:
    item = view.result(i, "combined")
    table = Table(["Who", "Responses", "Response rate"])
    for voice, who in (("staff", "Staff"), ("patient_leader", "Patient leaders")):
        rate = item.response_rate[voice]
        table.rows.append(
            [
                who,
                count_text(item.responses[voice], item.scoring.min_respondents),
                "Not known" if rate is None else f"{rate:.0%}",
            ]
        )
        table.links.append(None)
    summary = (
        f"{_org_responded(item)}; the response rate is shown where the number eligible is known."
    )
    return Chart("responses", "Responses", summary, summary, table, None)


def organisation(view: ResultsView, i: int, audience: str) -> list[Chart]:
    if view.hidden:
        return [org_responses_chart(view, i)]
    profiles = view.profiles(view.snapshot.row(i))
    return [
        profile_chart(view, i, audience),
        org_responses_chart(view, i),
        rungs_chart(view, i, "staff", profiles),
        rungs_chart(view, i, "patient_leader", profiles),
        gap_chart(view, i),
        trend_chart(view, i, audience),
        answers_chart(view, i, profiles),
        percentile_chart(view, i, audience),
    ]
