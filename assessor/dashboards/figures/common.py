"""What every board chart shares: the Chart and its Table, the Filters, the Figure as a plain
dict, the house layout and colours, and the wording helpers (escaping names for Plotly, counts,
reasons, the audience in a sentence).

One colour scheme, readable in greyscale and by colour-blind readers: levels and scores use
viridis (luminance rises steadily from level 0 to the top rung; suppressed cells are pink, which
no score takes); funnel bands use the
Okabe-Ito blue and vermilion *and* a marker shape each (at national scale those within the
limits are a grey density instead, darker where more); everything else is ink on white, told
apart by line dash or marker shape rather than hue.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.io as pio
from markupsafe import Markup

from assessor.disclosure import FEWER_THAN_K, REASONS
from assessor.results.reading import ResultsView
from assessor.results.snapshot import OVERALL
from assessor.web.presentation import AUDIENCE_LABELS, count_text, reason_text

#: From this many organisations on, a chart's marks carry each organisation's code but not its
#: name (a lighter page; the name is a click away), and the ranked chart is a band and a line.
MANY = 1000
#: A table longer than this is a page of its own (and a CSV), linked from beside its chart,
#: rather than inlined: 7,000 rows would weigh megabytes and freeze the browser's layout.
INLINE_ROWS = 250
#: Below this many organisations with a score, no funnel plot or ranked chart is drawn (a funnel
#: of one dot says nothing and its limits are meaningless): the table alone lists them.
FIGURE_MIN_ORGS = 5

INK = "#0b0c0c"
MUTED = "#505a5f"
QUARTILE = "#c9cdd1"
ORG = "#0072b2"
#: viridis at levels 0..5 (purple to yellow): distinct neighbours, monotone in lightness, and
#: no grey or pink in it, so the suppressed colour below is no score's colour.
CIVIDIS = "Viridis"
LEVEL_COLOURS = (
    "rgb(68, 1, 84)",
    "rgb(65, 68, 135)",
    "rgb(42, 120, 142)",
    "rgb(34, 168, 132)",
    "rgb(122, 209, 81)",
    "rgb(253, 231, 37)",
)
#: A suppressed cell on a heat map: pale pink, a colour the score scale never takes.
SUPPRESSED_CELL = "#f6cfe4"
SUPPRESSED_FILL = "#ffffff"
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


def house_layout(view: ResultsView, height: int, **extra: object) -> dict:
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


def titled(view: ResultsView, text: str) -> str:
    return (PREVIEW if view.preview else "") + text


def k_of(view: ResultsView) -> int:
    return int(view.snapshot.meta["min_respondents"])


def reason_for(view: ResultsView, code: int) -> str:
    return reason_text(REASONS[int(code)], k_of(view))


def measure_titles(view: ResultsView) -> dict[str, str]:
    titles = {OVERALL: "Overall"}
    titles.update({d.key: d.title for d in view.q.domains})
    return titles


def voice_label(audience: str) -> str:
    return AUDIENCE_LABELS[audience]


#: The audience inside a sentence: the rating, or one voice's view.
VOICE_IN_A_SENTENCE = {
    "combined": "the combined rating",
    "staff": "staff only: one voice's view, not the rating",
    "patient_leader": "patient leaders only: one voice's view, not the rating",
}


def in_a_sentence(audience: str) -> str:
    return VOICE_IN_A_SENTENCE[audience]


def counted(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def responded(view: ResultsView, idx: np.ndarray) -> str:
    """How many responded in these organisations, and the response rate where known."""
    s = view.snapshot
    responses = s["responses"][idx]
    rate = s["rate"][idx]
    withheld = responses == FEWER_THAN_K
    staff, patient = (int(x) for x in np.where(withheld, 0, responses).sum(axis=0))
    text = f"{staff:,} staff and {patient:,} patient leaders responded"
    if withheld.any():
        text += (
            f" in the organisations with at least {k_of(view)} of a group (fewer than"
            f" {k_of(view)} elsewhere, not counted)"
        )
    known = rate[~np.isnan(rate)]
    if known.size:
        median = float(np.median(known))
        text += f" (a median response rate of {median:.0%} where the number eligible is known)"
    return text


def not_shown(view: ResultsView, reasons: np.ndarray, what: str = "organisation") -> str:
    """`3 organisations are not shown: 2 because ...; 1 because ...`, or that none is."""
    codes, counts = np.unique(reasons[reasons != 0], return_counts=True)
    if not len(codes):
        return f"No {what} is suppressed."
    total = int(counts.sum())
    parts = [
        f"{c:,} {reason_for(view, code).removeprefix('Not shown ')}"
        for code, c in zip(codes, counts, strict=True)
    ]
    verb = "is" if total == 1 else "are"
    return f"{counted(total, what)} {verb} suppressed and not drawn: {'; '.join(parts)}."


def plain(name: str) -> str:
    """A name as text Plotly shows literally: Plotly renders a subset of HTML in labels, hover
    text, legends and annotations, so an imported `<a href=...>` would become a live link."""
    return html.escape(str(name), quote=True)


def wrap_label(text: str, width: int) -> str:
    """A label over lines of about `width` characters (Plotly breaks lines only at <br>),
    each line escaped as `plain` does."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(plain(line) for line in lines)


def plain_names(view: ResultsView) -> list[str]:
    """Every organisation's name escaped once for a figure (tables escape in their template)."""
    return [plain(name) for name in view.snapshot.meta["names"]]


def org_cell(view: ResultsView, i: int) -> str:
    meta = view.snapshot.meta
    return f"{meta['names'][i]} ({meta['orgs'][i]})"


def org_link(template: str | None, code: str) -> str | None:
    return None if template is None else template.replace("__CODE__", code)


def hover_names(names: list[str] | None, rest: str) -> dict:
    """Hover with each organisation's name, or (thousands of points) its code alone."""
    if names is None:
        return {"hovertemplate": f"%{{customdata}}<br>{rest}<extra></extra>"}
    return {"text": names, "hovertemplate": f"%{{text}} (%{{customdata}})<br>{rest}<extra></extra>"}


def selection(view: ResultsView, f: Filters) -> np.ndarray:
    """The snapshot rows of the organisations the filters choose."""
    idx, _ = view.snapshot.select(region=f.region, peer_group=f.peer_group)
    return idx


def measure_column(view: ResultsView, f: Filters, what: str) -> np.ndarray:
    """The filters' audience's `what` (value, reason, lo, hi) of their measure, a row an
    organisation."""
    s = view.snapshot
    return s[f"{f.audience}.{what}"][:, s.measure_index(f.measure)]


# --------------------------------------------------------------------------- one organisation


def measure_rows(view: ResultsView) -> list[tuple[str, str]]:
    titles = measure_titles(view)
    return [(m, titles[m]) for m in view.measures]


def pick(container: object, measure: str) -> object:
    return container.overall if measure == OVERALL else container.domains[measure]  # type: ignore[attr-defined]


def org_responded(item: object) -> str:
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
