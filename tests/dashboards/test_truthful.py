"""Issue 21: charts that tell the truth at any size. The funnel's limits are each
organisation's own, drawn against respondents inside the scale, and its sentences count the
marks it draws; no funnel or ranked chart of fewer than FIGURE_MIN_ORGS organisations; whole
ranks; a suppressed colour no score takes; the "don't know" chart in words and in order."""

from __future__ import annotations

import dataclasses
import re

import plotly.colors
import pytest

from assessor.dashboards.figures import funnel, national
from assessor.dashboards.figures.common import FIGURE_MIN_ORGS, LEVEL_COLOURS, SUPPRESSED_CELL
from assessor.results.reading import ResultsView
from tests.dashboards.test_dashboards import _charts, _figure, _fresh_results_cache, _world  # noqa: F401
from tests.web.test_web import _login

BANDS = {"A01": "high_99.8", "A02": "low_95", "B01": "within", "B02": "low_99.8"}


@pytest.fixture()
def drawn(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(funnel, "FIGURE_MIN_ORGS", 1)
    monkeypatch.setattr(national, "FIGURE_MIN_ORGS", 1)


def _mixed_bands(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real = ResultsView.funnel

    def banded(self, *args):  # type: ignore[no-untyped-def]
        found = real(self, *args)
        return dataclasses.replace(found, bands=[BANDS[c] for c in found.codes])

    monkeypatch.setattr(ResultsView, "funnel", banded)


def test_under_five_organisations_no_funnel_or_ranked_chart_but_the_tables(client, db) -> None:
    assert FIGURE_MIN_ORGS == 5
    _world(db)  # four organisations
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring").get_data(as_text=True)
    assert "funnel" not in _charts(page) and "ranked" not in _charts(page)
    assert "too few for a funnel plot, so the table lists them" in page
    assert "too few for a chart: the table lists them" in page
    for chart in ("funnel", "ranked"):
        assert f'id="{chart}-caption"' in page  # the table is there instead
    # narrower still: one organisation, said in the singular
    one = client.get("/dashboards/spring?region=London&peer_group=Urban&measure=governance")
    assert "organisations have a score" not in one.get_data(as_text=True).replace(
        "2 organisations have", ""
    )


def test_funnel_sentences_count_the_marks_outside_the_limits(
    client, db, drawn, monkeypatch
) -> None:
    _world(db)
    _mixed_bands(monkeypatch)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?audience=staff").get_data(as_text=True)
    fig = _figure(page, "funnel")
    marks = {
        t["name"]: len(t["x"])
        for t in fig["data"]
        if t.get("mode") == "markers" and t.get("customdata")
    }
    outside = sum(n for name, n in marks.items() if not name.startswith("Within"))
    beyond = sum(n for name, n in marks.items() if "99.8%" in name)
    assert (outside, beyond) == (3, 2)
    sentence = (
        f"{outside} organisations lie outside the 95% limits (1 above, 2 below),"
        f" {beyond} of them outside the 99.8% limits."
    )
    summary = re.search(r'<section class="chart-block" id="funnel".*?</section>', page, re.S)[0]
    assert sentence in summary
    assert "for a typical" not in page


def test_funnel_limits_are_each_organisations_own_inside_the_scale(client, db, drawn) -> None:
    campaign = _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?audience=staff").get_data(as_text=True)
    fig = _figure(page, "funnel")
    assert fig["layout"]["yaxis"]["range"] == [0, 5]
    limits = [t for t in fig["data"] if t.get("legendgroup") in ("95% limits", "99.8% limits")]
    assert len(limits) == 4
    for trace in limits:
        assert all(0 <= y <= 5 for y in trace["y"])
        assert trace["x"] == sorted(trace["x"])  # against respondents
        assert len(trace["x"]) == 4  # one tick per organisation
    view = __import__("assessor.results", fromlist=["read"]).read(campaign)
    inputs = view.funnel("staff", "overall", "national", "national")
    assert any(abs(y - inputs.target) > 0.01 for t in limits for y in t["y"])


def test_ranks_are_whole_and_scores_on_the_scale(client, db, drawn) -> None:
    _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring").get_data(as_text=True)
    layout = _figure(page, "ranked")["layout"]
    assert layout["xaxis"]["tickformat"] == "d" and layout["xaxis"]["dtick"] == 1
    assert layout["yaxis"]["range"] == [0, 5]


def _rgb(colour: str) -> tuple[int, ...]:
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return tuple(int(float(x)) for x in re.findall(r"[\d.]+", colour)[:3])


def test_the_suppressed_colour_is_no_scores_colour_and_levels_differ() -> None:
    scale = plotly.colors.sample_colorscale("Viridis", [i / 100 for i in range(101)])
    pink = _rgb(SUPPRESSED_CELL)
    assert min(sum((a - b) ** 2 for a, b in zip(pink, _rgb(c), strict=True)) for c in scale) > 80**2
    levels = [_rgb(c) for c in LEVEL_COLOURS]
    for a, b in zip(levels, levels[1:], strict=False):
        assert sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) > 45**2
    # lighter level by level (readable in greyscale); 0 and 1 no longer two navies
    luminance = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in levels]
    assert all(b - a > 20 for a, b in zip(luminance, luminance[1:], strict=False))


def test_dont_know_chart_names_questions_in_order_on_an_axis_to_the_largest(client, db) -> None:
    _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    fig = _figure(page, "answers")
    labels = fig["data"][0]["y"]
    assert not any(re.fullmatch(r"[a-z]+-\d+", label) for label in labels)  # words, not codes
    largest = [max(t["x"][k] or 0 for t in fig["data"]) for k in range(len(labels))]
    assert largest == sorted(largest, reverse=True)
    top = fig["layout"]["xaxis"]["range"][1]
    assert top <= 1 and top - max(largest) <= 0.1 + 1e-9


def test_find_an_organisation_rings_it_on_every_national_chart(client, db, drawn) -> None:
    _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?find=nhs+b01").get_data(as_text=True)
    assert 'id="find"' in page and 'value="nhs b01"' in page
    found = re.search(r'<div class="notice found".*?</div>', page, re.S)[0]
    assert "NHS B01</strong> (B01) is ringed in red on" in found
    for chart in ("funnel", "ranked"):
        fig = _figure(page, chart)
        ring = [t for t in fig["data"] if t.get("name") == "Found: NHS B01"]
        assert len(ring) == 1, chart
        marks = [t for t in fig["data"] if "B01" in (t.get("customdata") or [])][0]
        k = marks["customdata"].index("B01")
        assert (ring[0]["x"], ring[0]["y"]) == ([marks["x"][k]], [marks["y"][k]])
    heat = _figure(page, "heatmap")
    (outline,) = heat["layout"]["shapes"]
    row = heat["data"][0]["y"].index("B01")
    assert (outline["y0"], outline["y1"]) == (row - 0.5, row + 0.5)
    # by code, outside the filters, and not at all
    assert "is not among the organisations" in client.get(
        "/dashboards/spring?find=B01&region=London"
    ).get_data(as_text=True)
    assert "No organisation&rsquo;s name or code matches" in client.get(
        "/dashboards/spring?find=zzz"
    ).get_data(as_text=True)
