"""The national page's charts besides the funnel plot (funnel.py): levels by region, the
organisation by domain heat map, ranked scores, and while scores are hidden, response counts;
`charts` builds the page's list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assessor.dashboards.figures.common import (
    CIVIDIS,
    FIGURE_MIN_ORGS,
    INK,
    LEVEL_COLOURS,
    MANY,
    MUTED,
    ORG,
    QUARTILE,
    SUPPRESSED_CELL,
    SUPPRESSED_FILL,
    Bar,
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
    k_of,
    measure_column,
    measure_titles,
    not_shown,
    org_cell,
    org_link,
    plain,
    plain_names,
    reason_for,
    responded,
    selection,
    titled,
    voice_label,
    wrap_label,
)
from assessor.dashboards.figures.funnel import funnel_chart
from assessor.disclosure import FEWER_THAN_K
from assessor.models.campaign import AUDIENCES
from assessor.results.reading import ResultsView
from assessor.scoring.engine import level_of
from assessor.web.presentation import count_text, interval, level_label, number

#: Above this many organisations the heat map shows one region at a time.
HEAT_MAX_ROWS = 400
#: Up to this many rows the heat map names each (in code order); above it the rows are too thin
#: to name, so they are ordered by the chosen score, highest first, and the map shows a pattern.
HEAT_NAMED_ROWS = 60
#: The heat map's height at most, in pixels: a region's thousand organisations at 1 px a row.
HEAT_MAX_HEIGHT = 1000
#: A heat map whose rows are organisations (their codes) says so in its trace's `meta`, so a
#: click on a cell goes to the row's organisation (dashboards.js); no other heat map links.
ROWS_ARE_ORGANISATIONS = "rows are organisations"
#: Above this many rows a heat map's hover is a template rather than a sentence per cell.
HOVER_WORDS_MAX = 200


def _shown_count(n: Any) -> int | None:
    return None if int(n) == FEWER_THAN_K else int(n)


@dataclass
class LevelCounts:
    """How many of the chosen organisations of each region reach each level (a column a
    level from 0), and how many are suppressed."""

    idx: np.ndarray
    reasons: np.ndarray
    regions: list[str]
    counts: np.ndarray
    suppressed: np.ndarray


def level_counts(view: ResultsView, f: Filters) -> LevelCounts:
    s = view.snapshot
    idx = selection(view, f)
    values = measure_column(view, f, "value")[idx]
    reasons = measure_column(view, f, "reason")[idx]
    n_rungs = len(view.q.rungs)
    levels = level_of(values, n_rungs)
    region_of = np.array([s.meta["regions"][i] for i in idx], dtype=object)
    regions = sorted(set(region_of.tolist()))
    counts = np.zeros((len(regions), n_rungs + 1), dtype=int)
    suppressed = np.zeros(len(regions), dtype=int)
    for r, region in enumerate(regions):
        mine = region_of == region
        suppressed[r] = int((reasons[mine] != 0).sum())
        lv = levels[mine & (reasons == 0)]
        counts[r] = np.bincount(lv[lv >= 0], minlength=n_rungs + 1)[: n_rungs + 1]
    return LevelCounts(idx, reasons, regions, counts, suppressed)


def levels_figure(view: ResultsView, c: LevelCounts) -> Figure:
    shown_regions = [plain(region) for region in c.regions]
    fig = Figure(layout=house_layout(view, 120 + 48 * max(1, len(c.regions)), barmode="stack"))
    for level in range(len(view.q.rungs) + 1):
        fig.add_trace(
            Bar(
                y=shown_regions,
                x=c.counts[:, level],
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
            x=c.suppressed,
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
    return fig


def levels_chart(view: ResultsView, f: Filters) -> Chart:
    c = level_counts(view, f)
    n_rungs = len(view.q.rungs)
    titles = measure_titles(view)
    title = titled(view, f"Levels by region: {titles[f.measure]}, {voice_label(f.audience)}")
    columns = ["Region"] + [f"{lv} {level_label(view.q, lv)}" for lv in range(n_rungs + 1)]
    table = Table([*columns, "Suppressed", "Organisations"])
    for r, region in enumerate(c.regions):
        table.rows.append(
            [
                region,
                *(str(int(n)) for n in c.counts[r]),
                str(c.suppressed[r]),
                str(c.counts[r].sum() + c.suppressed[r]),
            ]
        )
        table.links.append(None)
    summary = (
        f"How many organisations in each region reach each level of the ladder on"
        f" {titles[f.measure].lower()} ({in_a_sentence(f.audience)}); {responded(view, c.idx)}."
        f" Suppressed organisations are counted in their own hatched bar, never as level 0."
        f" {not_shown(view, c.reasons)}"
    )
    top = c.counts.sum(axis=0)
    alt = (
        "Stacked bars by region. Across them: "
        + ", ".join(f"{int(top[lv])} at level {lv}" for lv in range(n_rungs + 1))
        + f", and {int(c.suppressed.sum())} suppressed."
    )
    return Chart("levels", title, summary, alt, table, levels_figure(view, c).to_json())


@dataclass
class HeatRows:
    """The heat map's organisations (one region of them if there are too many), named in code
    order or, too many to name, ordered by the chosen score; and their domain scores."""

    idx: np.ndarray
    region: str | None
    #: Sentences for the summary: why one region is shown, and how the rows are ordered.
    narrowed: str
    ordered: str
    named: bool
    measure: str
    z: np.ndarray
    reasons: np.ndarray


def heat_rows(view: ResultsView, f: Filters) -> HeatRows:
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
    measure = measure_titles(view)[f.measure].lower()
    if not named:
        shown = measure_column(view, f, "reason")[idx] == 0
        key = np.where(shown, measure_column(view, f, "value")[idx], -np.inf)
        idx = idx[np.argsort(-key, kind="stable")]
        ordered = (
            f" The rows are ordered by {measure} score, highest"
            " at the top (suppressed last); find an organisation with the box above, or open the"
            " table, in the same order."
        )
    n_domains = len(view.q.domains)
    z = np.column_stack([s[f"{f.audience}.value"][idx, j + 1] for j in range(n_domains)])
    reasons = np.column_stack([s[f"{f.audience}.reason"][idx, j + 1] for j in range(n_domains)])
    shape = (len(idx), n_domains)
    return HeatRows(
        idx, region, narrowed, ordered, named, measure, z.reshape(shape), reasons.reshape(shape)
    )


def _heat_cell(view: ResultsView, h: HeatRows, r: int, c: int) -> str:
    return number(float(h.z[r, c])) if h.reasons[r, c] == 0 else reason_for(view, h.reasons[r, c])


def _heat_hover(view: ResultsView, h: HeatRows) -> tuple[dict, dict]:
    """Hover for the scores and for the suppressed cells: a sentence per cell, or (thousands
    of cells) a template."""
    if len(h.idx) > HOVER_WORDS_MAX:
        return (
            {"hovertemplate": "%{y}, %{x}: %{z:.2f}<extra></extra>"},
            {"hovertemplate": "%{y}, %{x}: not shown<extra></extra>"},
        )
    s = view.snapshot
    names = plain_names(view)
    words = [
        [
            f"{names[i]} ({s.orgs[i]})<br>{plain(d.title)}: " + _heat_cell(view, h, r, c)
            for c, d in enumerate(view.q.domains)
        ]
        for r, i in enumerate(h.idx)
    ]
    hover: dict = {"hovertext": words, "hoverinfo": "text"}
    return hover, hover


def heat_figure(view: ResultsView, h: HeatRows) -> Figure:
    columns = [wrap_label(d.title, 14) for d in view.q.domains]
    codes = [view.snapshot.orgs[i] for i in h.idx]
    height = int(min(HEAT_MAX_HEIGHT, max(320, 16 * len(h.idx) + 160)))
    fig = Figure(layout=house_layout(view, height))
    hover, hover_hidden = _heat_hover(view, h)
    gaps = {"xgap": 1, "ygap": 1 if len(h.idx) <= 100 else 0}
    fig.add_trace(
        Heatmap(
            z=h.z,
            x=columns,
            y=codes,
            zmin=0,
            zmax=len(view.q.rungs),
            colorscale=CIVIDIS,
            colorbar={"title": {"text": "Score"}},
            meta=ROWS_ARE_ORGANISATIONS,
            **hover,
            **gaps,
        )
    )
    hidden = h.reasons != 0
    if hidden.any():
        # Suppressed cells drawn pink (no score's colour) and labelled, never left blank.
        text = {
            "text": np.where(hidden, "not shown", "").tolist(),
            "texttemplate": "%{text}",
            "textfont": {"color": INK, "size": 11},
        }
        fig.add_trace(
            Heatmap(
                z=np.where(hidden, 1.0, np.nan),
                x=columns,
                y=codes,
                colorscale=[[0, SUPPRESSED_CELL], [1, SUPPRESSED_CELL]],
                showscale=False,
                meta=ROWS_ARE_ORGANISATIONS,
                **(text if h.named else {}),
                **hover_hidden,
                **gaps,
            )
        )
    fig.update_yaxes(autorange="reversed", showticklabels=h.named, ticks="", type="category")
    if not h.named:
        fig.update_yaxes(
            title_text=f"{len(h.idx):,} organisations, highest {h.measure} score first"
        )
    # Domain titles over lines; turned by plotly.js only if a narrow screen makes them overlap.
    fig.update_xaxes(side="top", automargin=True)
    fig.update_layout(margin={"t": 100}, plot_bgcolor="#ffffff")
    return fig


def heat_table(view: ResultsView, h: HeatRows, link: str | None) -> Table:
    domains = view.q.domains

    def fill(table: Table) -> None:
        for r, i in enumerate(h.idx):
            cells = [_heat_cell(view, h, r, c) for c in range(len(domains))]
            table.rows.append([org_cell(view, int(i)), *cells])
            table.links.append(org_link(link, view.snapshot.orgs[int(i)]))

    return Table(["Organisation", *(d.title for d in domains)], fill, len(h.idx))


def heat_words(view: ResultsView, f: Filters, h: HeatRows, where: str) -> tuple[str, str]:
    """The heat map's summary and alt text."""
    domains = view.q.domains
    summary = (
        f"Each row is an organisation{where}, each column a domain; darker is a lower score,"
        f" yellower a higher one ({in_a_sentence(f.audience)}). Pink cells"
        + (" marked 'not shown'" if h.named else "")
        + f" are suppressed: the table says why. {responded(view, h.idx)}. "
        + not_shown(view, h.reasons.ravel(), "domain score")
        + h.narrowed
        + h.ordered
    )
    shown = h.reasons == 0
    means = [
        f"{d.title} {number(float(np.nanmean(h.z[shown[:, c], c])))}"
        for c, d in enumerate(domains)
        if shown[:, c].any()
    ]
    alt = (
        f"Heat map of {len(h.idx)} organisations by {len(domains)} domains. Mean score by"
        " domain: " + ", ".join(means) + f". {int((~shown).sum())} cells suppressed."
    )
    return summary, alt


def heatmap_chart(view: ResultsView, f: Filters, link: str | None) -> Chart:
    h = heat_rows(view, f)
    where = f" in {h.region}" if h.region else ""
    title = titled(view, f"Scores by organisation and domain{where}: {voice_label(f.audience)}")
    summary, alt = heat_words(view, f, h, where)
    fig = heat_figure(view, h)
    return Chart("heatmap", title, summary, alt, heat_table(view, h, link), fig.to_json(), link)


@dataclass
class Ranked:
    """The chosen organisations with a score, highest first, with their 95% intervals; and the
    reasons of all chosen (non-zero for those suppressed, listed after the ranked)."""

    idx: np.ndarray
    reasons: np.ndarray
    keep: np.ndarray
    values: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def ranked(view: ResultsView, f: Filters) -> Ranked:
    idx = selection(view, f)
    reasons = measure_column(view, f, "reason")[idx]
    keep = idx[reasons == 0]
    values = measure_column(view, f, "value")[keep]
    order = np.argsort(-values, kind="stable")
    keep, values = keep[order], values[order]
    lo = measure_column(view, f, "lo")[keep]
    hi = measure_column(view, f, "hi")[keep]
    return Ranked(idx, reasons, keep, values, lo, hi)


def ranked_figure(view: ResultsView, r: Ranked) -> Figure:
    ranks = np.arange(1, len(r.keep) + 1)
    names = plain_names(view)
    fig = Figure(layout=house_layout(view, 440))
    big = len(r.keep) >= MANY
    if big:
        # Thousands of organisations: the intervals as a shaded band and the scores as a line
        # through them (three SVG paths, drawn in milliseconds; each point still hovers and
        # clicks through to its organisation).
        for edge, fill in ((r.hi, "none"), (r.lo, "tonexty")):
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
        "array": r.hi - r.values,
        "arrayminus": r.values - r.lo,
        "color": MUTED,
        "thickness": 1,
        "width": 0 if len(r.keep) > 60 else 3,
    }
    fig.add_trace(
        Scatter(
            x=ranks,
            y=r.values,
            mode="lines" if big else "markers",
            line={"color": ORG, "width": 2},
            marker={"color": ORG, "size": 8, "symbol": "diamond"},
            **({} if big else {"error_y": errors}),
            customdata=[view.snapshot.orgs[i] for i in r.keep],
            name="Score" if big else "Score and 95% interval",
            **hover_names(
                [names[i] for i in r.keep] if len(r.keep) < MANY else None,
                "Rank %{x}: %{y:.2f}",
            ),
        )
    )
    # Whole ranks only (no tick at 1.5), and the score axis is the scale, 0 to R.
    fig.update_xaxes(
        title_text="Rank (1 = highest)",
        showline=True,
        linecolor=INK,
        tickformat="d",
        tick0=1,
        rangemode="tozero",
        **({"dtick": 1} if len(r.keep) <= 20 else {}),
    )
    fig.update_yaxes(
        title_text=f"Score (0 to {len(view.q.rungs)})",
        showline=True,
        linecolor=INK,
        range=[0, len(view.q.rungs)],
    )
    return fig


def ranked_table(view: ResultsView, r: Ranked, link: str | None) -> Table:
    """The ranked organisations, then those not ranked and why; filled when read."""
    orgs = view.snapshot.orgs

    def fill(table: Table) -> None:
        levels = level_of(r.values, len(view.q.rungs))
        for rank, i in enumerate(r.keep):
            table.rows.append(
                [
                    org_cell(view, int(i)),
                    str(rank + 1),
                    number(float(r.values[rank])),
                    interval([float(r.lo[rank]), float(r.hi[rank])]),
                    level_label(view.q, int(levels[rank])),
                ]
            )
            table.links.append(org_link(link, orgs[int(i)]))
        hidden = r.reasons != 0
        for i, reason in zip(r.idx[hidden], r.reasons[hidden], strict=True):
            words = reason_for(view, reason)
            table.rows.append([org_cell(view, int(i)), "Not ranked", words, words, words])
            table.links.append(org_link(link, orgs[int(i)]))

    return Table(["Organisation", "Rank", "Score", "95% interval", "Level"], fill, len(r.idx))


def ranked_words(view: ResultsView, f: Filters, r: Ranked) -> tuple[str, str]:
    """The ranked chart's summary and alt text."""
    overlap = ""
    if len(r.keep) >= 2:
        top_lo = float(r.lo[0])
        overlapping = int((r.hi >= top_lo).sum()) - 1
        overlap = (
            f" The highest-ranked organisation's interval overlaps {overlapping:,} others':"
            " ranks close together are not reliably different."
        )
    summary = (
        f"Organisations ranked by {measure_titles(view)[f.measure].lower()} score"
        f" ({in_a_sentence(f.audience)}), each with its 95% interval."
        f" {counted(len(r.keep), 'organisation')} ranked;"
        f" {responded(view, r.idx)}. {not_shown(view, r.reasons)}{overlap}"
    )
    alt = f"Ranked chart of {len(r.keep)} scores" + (
        f" from {number(float(r.values[0]))} down to {number(float(r.values[-1]))}."
        if len(r.keep)
        else "."
    )
    return summary, alt


def ranked_chart(view: ResultsView, f: Filters, link: str | None) -> Chart:
    r = ranked(view, f)
    what = f"{measure_titles(view)[f.measure]}, {voice_label(f.audience)}"
    title = titled(view, f"Ranked scores with 95% intervals: {what}")
    summary, alt = ranked_words(view, f, r)
    table = ranked_table(view, r, link)
    if len(r.keep) < FIGURE_MIN_ORGS:
        summary += (
            f" Fewer than {FIGURE_MIN_ORGS} organisations are ranked, too few for a chart: the"
            " table lists them."
        )
        return Chart("ranked", title, summary, alt, table, None, link)
    return Chart("ranked", title, summary, alt, table, ranked_figure(view, r).to_json(), link)


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
        row = [org_cell(view, int(i)), s.meta["regions"][i]]
        for b in range(len(AUDIENCES)):
            rate = s["rate"][i, b]
            row += [
                count_text(_shown_count(s["responses"][i, b]), k_of(view)),
                "Not known" if np.isnan(rate) else f"{rate:.0%}",
            ]
        table.rows.append(row)
        table.links.append(org_link(link, s.orgs[int(i)]))
    summary = (
        f"Responses so far in {counted(len(idx), 'organisation')}: {responded(view, idx)}."
        " Scores are not shown until the campaign closes."
    )
    return Chart("responses", "Responses so far", summary, summary, table, None, link)


def charts(view: ResultsView, f: Filters, link: str | None) -> list[Chart]:
    """The national page's charts, or while scores are hidden, response counts alone."""
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
