"""Find an organisation on the national page: a plain GET box (no JavaScript needed) whose
match is ringed on the funnel plot and the ranked chart and outlined on the heat map, with a
sentence saying where it stands. Drawn over the figures already built, so no chart's own code
knows about it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from assessor.dashboards.figures.common import Chart, plain
from assessor.results.reading import ResultsView

RING = "#d4351c"


@dataclass(frozen=True)
class Found:
    code: str
    name: str
    #: whether the page's filters include it (else it is on no chart).
    shown: bool
    #: the charts it is marked on, by title.
    marked: tuple[str, ...]


def find(view: ResultsView, text: str) -> int | None:
    """The organisation whose code is `text`, or else the first (by name) whose name holds
    it, ignoring case."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    s = view.snapshot
    codes = [str(c).lower() for c in s.orgs]
    if wanted in codes:
        return codes.index(wanted)
    names = s.meta["names"]
    hits = [i for i, name in enumerate(names) if wanted in str(name).lower()]
    return min(hits, key=lambda i: str(names[i]).lower()) if hits else None


def _ring(fig: dict, x: object, y: object, name: str) -> None:
    fig["data"].append(
        {
            "type": "scatter",
            "x": [x],
            "y": [y],
            "mode": "markers+text",
            "marker": {
                "symbol": "circle-open",
                "size": 24,
                "color": RING,
                "line": {"width": 3, "color": RING},
            },
            "text": [name],
            "textposition": "top center",
            "textfont": {"color": RING, "size": 13},
            "name": f"Found: {name}",
            "hoverinfo": "skip",
            "cliponaxis": False,
        }
    )


def _mark(chart: Chart, code: str, name: str) -> bool:
    if chart.figure is None or chart.id not in ("funnel", "ranked", "heatmap"):
        return False
    fig = json.loads(chart.figure)
    marked = False
    if chart.id == "heatmap":
        rows = fig["data"][0].get("y") or []
        if code in rows:
            r = rows.index(code)
            outline = {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y"}
            outline |= {"y0": r - 0.5, "y1": r + 0.5, "line": {"color": RING, "width": 3}}
            fig["layout"].setdefault("shapes", []).append(outline)
            marked = True
    else:
        for trace in fig["data"]:
            codes = trace.get("customdata") or []
            if code in codes:
                k = codes.index(code)
                _ring(fig, trace["x"][k], trace["y"][k], name)
                marked = True
                break
    if marked:
        chart.figure = json.dumps(fig)
    return marked


def highlight(view: ResultsView, charts: list[Chart], i: int, chosen: np.ndarray) -> Found:
    """Mark organisation `i` on every national chart that draws it."""
    code = str(view.snapshot.orgs[i])
    name = plain(view.snapshot.meta["names"][i])
    marked = tuple(chart.title for chart in charts if _mark(chart, code, name))
    return Found(code, str(view.snapshot.meta["names"][i]), bool(np.isin(i, chosen)), marked)
