"""Charts of one organisation's published results, drawn on the server as inline SVG.

Inline SVG rather than Plotly on the public pages: it needs no JavaScript (the pages work
without it), prints crisply on the A4 layout, carries its own text alternative, and adds no
second charting stack; the boards' dashboards keep Plotly. Every number drawn is a number of
the read model, also printed in the table beside the chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from assessor.questionnaires.definition import Questionnaire
from assessor.results.reading import GroupResult, Measure, OrgResult, TrendMeasure
from assessor.web.presentation import number

WIDTH = 340
LEFT, RIGHT = 10, 330
#: Characters of 13-unit Arial that fit across the chart, for wrapping the words in it.
LINE_CHARS = 46
ROW = 44
FONT = 13
ORG = "#003078"
INTERVAL = "#1d70b8"
REGION = "#912b88"
NATIONAL = "#0b0c0c"
GRID = "#b1b4b6"
MUTED = "#505a5f"


@dataclass(frozen=True)
class Chart:
    svg: Markup
    label: str


def _text(x: float, y: float, words: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(words)}</text>'


def _wrap(words: str) -> list[str]:
    lines = [""]
    for word in words.split():
        if lines[-1] and len(lines[-1]) + 1 + len(word) > LINE_CHARS:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


def _note(y: float, words: str) -> tuple[list[str], float]:
    """Words on as many lines as they need, in the muted colour; and the height used."""
    lines = _wrap(words)
    return [_text(LEFT, y + 16 * i, line, fill=MUTED) for i, line in enumerate(lines)], 16 * len(
        lines
    )


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, width: float = 1) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"'
        f' stroke="{colour}" stroke-width="{width}"/>'
    )


def _dot(x: float, y: float) -> str:
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{ORG}"/>'


def _diamond(x: float, y: float) -> str:
    s = 7
    return (
        f'<path d="M{x:.1f} {y - s:.1f} L{x + s:.1f} {y:.1f} L{x:.1f} {y + s:.1f}'
        f' L{x - s:.1f} {y:.1f} Z" fill="{REGION}"/>'
    )


def _tick(x: float, y: float) -> str:
    return _line(x, y - 11, x, y + 11, NATIONAL, 3)


def _svg(height: float, body: list[str], label: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img"'
        f' aria-label="{escape(label)}" font-family="Arial, Helvetica, sans-serif"'
        f' font-size="{FONT}" fill="{NATIONAL}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


def _scale(lo: float, hi: float) -> Callable[[float], float]:
    return lambda v: LEFT + (v - lo) / (hi - lo) * (RIGHT - LEFT)


def _area_title(
    body: list[str],
    q: Questionnaire,
    key: str,
    measure: Measure | TrendMeasure,
    y0: float,
    reason: Callable[[str | None], str],
) -> float:
    """An area's title, then why it is not shown if it is not; where its row starts below."""
    title = next(d.title for d in q.domains if d.key == key)
    body.append(_text(LEFT, y0 + 14, title, font_weight="bold"))
    if measure.suppressed:
        lines, height = _note(y0 + 32, reason(measure.reason))
        body += lines
        y0 += height
    return y0


def domain_levels(
    item: OrgResult,
    regional: GroupResult | None,
    national: GroupResult | None,
    q: Questionnaire,
    reason: Callable[[str | None], str],
) -> Chart:
    """Each area's score with its 95% interval, beside the regional and national medians."""
    top = len(q.rungs)
    x = _scale(0, top)
    region = item.organisation.region
    body = [
        _dot(LEFT + 6, 14),
        _text(LEFT + 18, 18, "This organisation, with its 95% interval"),
        _diamond(LEFT + 6, 36),
        _text(LEFT + 18, 40, f"Median in {region}"),
        _tick(LEFT + 6, 58),
        _text(LEFT + 18, 62, "National median"),
    ]
    y0 = 76
    for key, measure in item.domains.items():
        y0 = _area_title(body, q, key, measure, y0, reason)
        cy = y0 + 32
        body.append(_line(x(0), cy, x(top), cy, GRID))
        for level in range(top + 1):
            body.append(_line(x(level), cy - 6, x(level), cy + 6, GRID))
        if national is not None and national.domains[key].median is not None:
            body.append(_tick(x(national.domains[key].median), cy))
        if regional is not None and regional.domains[key].median is not None:
            body.append(_diamond(x(regional.domains[key].median), cy))
        if not measure.suppressed:
            if measure.ci95:
                lo, hi = (min(max(v, 0), top) for v in measure.ci95)
                body.append(_line(x(lo), cy, x(hi), cy, INTERVAL, 4))
            body.append(_dot(x(measure.score), cy))
        y0 += ROW
    axis = y0 + 8
    for level in range(top + 1):
        body.append(_text(x(level), axis + 8, str(level), text_anchor="middle"))
    body.append(
        _text(
            (LEFT + RIGHT) / 2,
            axis + 28,
            f"Score: 0 is informing only, {top} is {q.rungs[-1].label.lower()}",
            text_anchor="middle",
        )
    )
    label = (
        f"Chart of {item.organisation.name}'s score in each area against the median in"
        f" {region} and the national median; the table below gives the same numbers."
    )
    return Chart(_svg(axis + 38, body, label), label)


def trend(item: OrgResult, q: Questionnaire, reason: Callable[[str | None], str]) -> Chart | None:
    """Each comparable area's change since the previous campaign, with its 95% interval."""
    comparable = item.trend.comparable_domains
    rows = [(key, t) for key, t in item.trend.domains.items() if key in comparable]
    shown = [t for _, t in rows if not t.suppressed]
    if not shown:
        return None
    reach = max(max(abs(v) for v in (t.ci95 or [t.delta])) for t in shown)
    reach = max(0.5, math.ceil(reach * 2) / 2)
    x = _scale(-reach, reach)
    body = [
        _dot(LEFT + 6, 14),
        _text(LEFT + 18, 18, "Change in score, with its 95% interval"),
    ]
    y0 = 30
    for key, t in rows:
        y0 = _area_title(body, q, key, t, y0, reason)
        cy = y0 + 32
        body.append(_line(x(-reach), cy, x(reach), cy, GRID))
        body.append(_line(x(0), cy - 11, x(0), cy + 11, NATIONAL, 1))
        if not t.suppressed:
            if t.ci95:
                body.append(_line(x(t.ci95[0]), cy, x(t.ci95[1]), cy, INTERVAL, 4))
            body.append(_dot(x(t.delta), cy))
        y0 += ROW
    axis = y0 + 8
    for v, anchor in ((-reach, "start"), (0.0, "middle"), (reach, "end")):
        body.append(_text(x(v), axis + 8, number(v, signed=True), text_anchor=anchor))
    body.append(_text(LEFT, axis + 28, "\u2190 Lower than before"))
    body.append(_text(RIGHT, axis + 28, "Higher than before \u2192", text_anchor="end"))
    label = (
        f"Chart of the change in {item.organisation.name}'s score in each comparable area since"
        " the previous campaign; the table below gives the same numbers."
    )
    return Chart(_svg(axis + 38, body, label), label)
