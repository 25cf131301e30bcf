"""The board dashboards: Plotly figures from the read model, their tables and CSVs, plotly.js
served by the app, and free-text answers (shown from 10 respondents, escaped, hideable with an
audit record).

Data: four organisations in two regions, 10 staff and 10 patient leaders each. Staff answer
"agree" everywhere (score 5) except `n_neutral` of them who answer "neutral" (0.667); patient
leaders answer "neutral" everywhere except one who answers "agree". So every cell has spread,
and the funnel has N = 4 organisations with a target, phi and tau2."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs_version
from sqlalchemy import select

from assessor import results
from assessor.auth.passwords import create_user
from assessor.dashboards.assets import COMPILE_ALL, PLOTLY_JS, plotly_version
from assessor.dashboards.figures.funnel import Z95, Z998, overdispersion_sentence
from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    benchmark_items,
    make_campaign,
    questionnaire,
    result_items,
    set_window,
    submitted_yesterday,
    uniform_answers,
)
from tests.web.test_web import PASSWORD, _login, _row

ORGS = (("A01", "London", "Urban"), ("A02", "London", "Urban"), ("B01", "North West", "Rural"))
ORGS += (("B02", "North West", "Rural"),)
NEUTRAL_STAFF = {"A01": 1, "A02": 3, "B01": 5, "B02": 2}
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _fresh_results_cache():  # type: ignore[no-untyped-def]
    from assessor.results import publications

    publications.clear_cache()
    yield
    publications.clear_cache()


@pytest.fixture(autouse=True)
def _draw_small_charts(monkeypatch):  # type: ignore[no-untyped-def]
    """This world has four organisations, under FIGURE_MIN_ORGS: these tests look at the
    funnel and ranked figures, so they are drawn from one organisation
    (tests/dashboards/test_truthful.py checks the threshold itself)."""
    from assessor.dashboards.figures import funnel, national

    monkeypatch.setattr(funnel, "FIGURE_MIN_ORGS", 1)
    monkeypatch.setattr(national, "FIGURE_MIN_ORGS", 1)


def _world(db, state: str = "closed", comments: bool = True):  # type: ignore[no-untyped-def]
    create_user("board@example.nhs.uk", "viewer", PASSWORD)
    create_user("admin@example.nhs.uk", "admin", PASSWORD)
    add_orgs(*ORGS)
    campaign = make_campaign("spring", state="open", k=5)
    q = questionnaire(campaign)
    agree, neutral = uniform_answers(q, "agree"), uniform_answers(q, "neutral")
    for org, n_neutral in NEUTRAL_STAFF.items():
        for s in range(10):
            answers = dict(neutral if s < n_neutral else agree)
            if comments and org == "A01":
                answers["comments"] = HOSTILE if s == 0 else f"staff comment {s}"
            responses.submit(campaign, org, "staff", answers)
        for p in range(10):
            answers = dict(agree if p == 0 else neutral)
            if comments and org == "A01" and p == 0:
                answers["change-one"] = "patient comment"
            responses.submit(campaign, org, "patient_leader", answers)
    if state == "closed":
        set_window(campaign, "closed")
    db.session.commit()
    return campaign


def _figure(page: str, chart: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart}-data">(.*?)</script>', page)
    assert found, f"no figure {chart}"
    return json.loads(found.group(1))


def _charts(page: str) -> list[str]:
    return re.findall(r'<script type="application/json" id="([a-z_-]+)-data">', page)


# --------------------------------------------------------------------------- plotly.js


def test_plotly_js_is_the_vendored_cartesian_bundle_with_long_cache_headers(client, db) -> None:
    # The bundle that draws the figures is the plotly.js whose schema the tests validate them
    # against (that of the plotly Python package): upgrading plotly means fetching it again.
    version = get_plotlyjs_version()
    assert plotly_version() == version
    url = f"/assets/plotly-cartesian-{version}.min.js"
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.mimetype == "text/javascript"
    plain = client.get(url)
    # V8's compile hint first, then the bundle byte for byte.
    assert plain.data == COMPILE_ALL + PLOTLY_JS.read_bytes()
    assert f"plotly.js (cartesian - minified) v{version}".encode() in plain.data[:200]
    assert len(response.data) < len(plain.data) / 2
    assert client.get("/assets/plotly-cartesian-0.0.1.min.js").status_code == 404
    assert client.get(f"/assets/plotly-{version}.min.js").status_code == 404


def test_pages_load_plotly_from_the_app_and_no_third_party_resource(client, db) -> None:
    _world(db)
    _login(client, "board@example.nhs.uk")
    for path in ("/dashboards/spring", "/dashboards/spring/A01"):
        page = client.get(path).get_data(as_text=True)
        assert f'src="/assets/plotly-cartesian-{get_plotlyjs_version()}.min.js"' in page
        assert not re.search(r'(src|href)="(https?:)?//', page)
        assert "<script>" not in page.replace(HOSTILE, "")  # no inline script at all


# --------------------------------------------------------------------------- national page


def test_national_page_draws_four_valid_figures_from_the_read_model(client, db) -> None:
    campaign = _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring").get_data(as_text=True)
    assert _charts(page) == ["funnel", "levels", "heatmap", "ranked"]
    for chart in _charts(page):
        go.Figure(_figure(page, chart))  # raises on anything plotly's schema refuses
    api = {item["organisation"]["code"]: item for item in result_items(campaign)}
    points = {}
    for trace in _figure(page, "funnel")["data"]:
        if trace["mode"] == "markers":
            for code, x, y in zip(trace["customdata"], trace["x"], trace["y"], strict=True):
                points[code] = (x, y)
    assert set(points) == set(api)
    for code, (x, y) in points.items():
        assert x == api[code]["overall"]["n"]
        assert y == pytest.approx(api[code]["overall"]["score"], abs=1e-6)
    ranked = _figure(page, "ranked")["data"][0]
    scores = sorted((item["overall"]["score"] for item in api.values()), reverse=True)
    assert ranked["y"] == pytest.approx(scores, abs=1e-6)
    assert "A01" in _row(page, "A01", "heatmap")


def test_funnel_table_gives_each_organisations_own_limits(client, db) -> None:
    """Staff view: s_i = sigma / sqrt(n_i), limits target +/- z * sqrt(s_i^2 + tau2)."""
    campaign = _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?audience=staff").get_data(as_text=True)
    view = results.read(campaign)
    funnel = view.funnel("staff", "overall", "national", "national")
    bench = benchmark_items(campaign, "staff")[0]["overall"]["funnel"]
    assert funnel.target == pytest.approx(bench["target"])
    i = funnel.codes.index("B01")
    half = math.sqrt(funnel.se[i] ** 2 + funnel.tau2)
    lo95, hi95 = funnel.target - Z95 * half, funnel.target + Z95 * half
    lo998, hi998 = funnel.target - Z998 * half, funnel.target + Z998 * half
    # limits inside the scale, 0 to 5 (issue 21): no score lies beyond it
    lo95, hi95, lo998, hi998 = (min(5.0, max(0.0, x)) for x in (lo95, hi95, lo998, hi998))
    api = {item["organisation"]["code"]: item for item in result_items(campaign, "staff")}
    score = api["B01"]["overall"]["score"]
    band = {"within": "Within the 95% limits", "low_95": "Below the 95% limit"}
    band.update({"low_99.8": "Below the 99.8% limit", "high_95": "Above the 95% limit"})
    band["high_99.8"] = "Above the 99.8% limit"

    def num(x: float) -> str:
        return f"{round(x, 2) + 0.0:.2f}".replace("-", "\u2212")

    assert _row(page, "B01", "funnel") == (
        f"NHS B01 (B01) North West 10 {num(score)}"
        f" {band[api['B01']['overall']['funnel']['national']]}"
        f" {num(lo95)} to {num(hi95)} {num(lo998)} to {num(hi998)}"
    )
    assert "Staff only (one voice&#39;s view, not the rating)" in page
    # this world's staff scores differ by no more than chance: tau2 = 0, nothing said of it
    assert funnel.tau2 == 0.0 and "overdispersion" not in page


def test_overdispersion_is_said_in_words_when_it_flattens_the_limits() -> None:
    """tau2 = 0: nothing to say. tau2 = 0.4 against own variances 0.04 and 0.09 (median
    0.065): the spread between organisations outweighs size, so the limits are nearly level.
    tau2 = 0.01 against 0.25: said, but the funnel still narrows."""
    assert overdispersion_sentence(0.0, np.array([0.2, 0.3])) == ""
    assert overdispersion_sentence(None, np.array([0.2])) == ""
    flat = overdispersion_sentence(0.4, np.array([0.2, 0.3]))
    assert "overdispersion" in flat and "nearly level rather than a funnel" in flat
    narrowing = overdispersion_sentence(0.01, np.array([0.5]))
    assert "overdispersion" in narrowing and "nearly level" not in narrowing


def test_filters_narrow_every_chart_and_the_funnel_uses_that_groups_limits(client, db) -> None:
    campaign = _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?region=London&measure=governance").get_data(as_text=True)
    codes = set()
    for trace in _figure(page, "funnel")["data"]:
        codes |= set(trace.get("customdata") or [])
    assert codes == {"A01", "A02"}
    assert _figure(page, "heatmap")["data"][0]["y"] == ["A01", "A02"]
    assert [t["y"] for t in _figure(page, "levels")["data"]][0] == ["London"]
    api = {
        item["organisation"]["code"]: item
        for item in result_items(campaign)
        if item["organisation"]["region"] == "London"
    }
    ranked = _figure(page, "ranked")["data"][0]
    expected = sorted((i["domains"]["governance"]["score"] for i in api.values()), reverse=True)
    assert ranked["y"] == pytest.approx(expected, abs=1e-6)
    assert "around the target of London (region)" in page


def test_a_funnel_of_many_shades_those_within_the_limits_and_marks_the_others(
    client, db, monkeypatch
) -> None:
    """Above FUNNEL_MARKS_MAX organisations (national scale), those within the 95% limits are a
    density (how many in each cell), and only the others are marks, each linked by its code."""
    import dataclasses

    from assessor.dashboards.figures import funnel
    from assessor.results.reading import ResultsView

    _world(db)
    monkeypatch.setattr(funnel, "FUNNEL_MARKS_MAX", 1)
    real = ResultsView.funnel

    def one_below(self, *args):  # type: ignore[no-untyped-def]
        """This world's four organisations are all within the limits: put B01 below them."""
        found = real(self, *args)
        bands = [
            "low_95" if c == "B01" else b for c, b in zip(found.codes, found.bands, strict=True)
        ]
        return dataclasses.replace(found, bands=bands)

    monkeypatch.setattr(ResultsView, "funnel", one_below)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?audience=staff").get_data(as_text=True)
    funnel = _figure(page, "funnel")
    go.Figure(funnel)
    bands = {"A01": "within", "A02": "within", "B01": "low_95", "B02": "within"}
    within = {code for code, band in bands.items() if band == "within"}
    (density,) = [t for t in funnel["data"] if t["type"] == "heatmap"]
    assert sum(z for row in density["z"] for z in row if z is not None) == len(within)
    assert "customdata" not in density and "meta" not in density  # a click goes nowhere
    marked = {
        c for t in funnel["data"] if t.get("mode") == "markers" for c in t.get("customdata") or []
    }
    assert marked == set(bands) - within
    legend = [t["name"] for t in funnel["data"] if t.get("showlegend", True) and "name" in t]
    assert "Within the 95% limits: shaded, darker where more" in legend
    assert f"The {len(within)} organisations within the 95% limits are too many" in page
    # The heat map's cells do link: its rows are organisations, and it says so.
    assert {t["meta"] for t in _figure(page, "heatmap")["data"]} == {"rows are organisations"}


def test_a_map_of_many_organisations_orders_them_by_the_chosen_score(
    client, db, monkeypatch
) -> None:
    """Too many rows to name: ordered by the chosen measure's score, highest first, the table in
    the same order."""
    from assessor.dashboards.figures import national

    campaign = _world(db)
    monkeypatch.setattr(national, "HEAT_NAMED_ROWS", 1)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?measure=governance").get_data(as_text=True)
    scores = {
        item["organisation"]["code"]: item["domains"]["governance"]["score"]
        for item in result_items(campaign)
    }
    expected = sorted(scores, key=lambda code: -scores[code])
    heat = _figure(page, "heatmap")
    go.Figure(heat)
    assert heat["data"][0]["y"] == expected
    assert heat["layout"]["yaxis"]["showticklabels"] is False
    section = re.search(r'<section class="chart-block" id="heatmap".*?</section>', page, re.S)[0]
    assert re.findall(r"\((\w\d\d)\)</a>", section) == expected
    assert "The rows are ordered by decision-making and governance score, highest at" in section


def test_csv_is_the_table_on_the_page(client, db) -> None:
    _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?audience=patient_leader").get_data(as_text=True)
    assert 'href="/dashboards/spring/csv/ranked?audience=patient_leader"' in page
    response = client.get("/dashboards/spring/csv/ranked?audience=patient_leader")
    assert response.mimetype == "text/csv"
    assert 'filename="spring-ranked.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["Organisation", "Rank", "Score", "95% interval", "Level"]
    assert " ".join(rows[1]) == _row(page, rows[1][0].split("(")[1][:3], "ranked")
    assert client.get("/dashboards/spring/csv/nope").status_code == 404


def test_open_campaign_csv_has_counts_only(client, db) -> None:
    submitted_yesterday(_world(db, "open"))  # counts are as at the end of the previous day
    db.session.commit()
    _login(client, "board@example.nhs.uk")
    assert client.get("/dashboards/spring/csv/funnel").status_code == 404
    rows = list(csv.reader(io.StringIO(client.get("/dashboards/spring/csv/responses").text)))
    assert rows[1] == ["NHS A01 (A01)", "London", "10", "Not known", "10", "Not known"]


# --------------------------------------------------------------------------- organisation page


def test_organisation_page_charts_match_the_api(client, db) -> None:
    campaign = _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    # No trend figure: the campaign names no previous one (the trend's table says so).
    assert _charts(page) == ["profile", "rungs-staff", "rungs-patient_leader", "gap", "answers"]
    for chart in _charts(page):
        go.Figure(_figure(page, chart))
    item = next(i for i in result_items(campaign) if i["organisation"]["code"] == "A01")
    peers = next(
        b
        for b in benchmark_items(campaign, group_by="peer_group")
        if b["group"]["value"] == "Urban"
    )
    bar, median, org = _figure(page, "profile")["data"]
    expected = [item["overall"]["score"]] + [d["score"] for d in item["domains"].values()]
    assert org["x"] == pytest.approx(expected, abs=1e-6)
    assert median["x"][0] == pytest.approx(peers["overall"]["median"])
    assert bar["base"][0] == pytest.approx(peers["overall"]["q1"])
    assert 'id="action-plan"' in page and '<h2 id="action-plan-title">Action plan</h2>' in page
    assert '<h2 id="percentiles-title">' in page
    trend = re.search(r'<section class="chart-block" id="trend".*?</section>', page, re.S)[0]
    assert "There is no trend for NHS A01: this campaign names no previous campaign" in trend
    # the message first: a sentence in words before the first chart
    sentence = re.search(r'<p class="headline-sentence">(.*?)</p>', page).group(1)
    assert sentence.startswith("NHS A01: ") and "similar organisations" in sentence
    assert page.index('class="headline"') < page.index('class="chart-block"')


def test_unknown_organisation_is_404(client, db) -> None:
    _world(db)
    _login(client, "board@example.nhs.uk")
    assert client.get("/dashboards/spring/ZZZ").status_code == 404
    assert client.get("/dashboards/spring/ZZZ/csv/profile").status_code == 404


def test_revision_reason_is_said_in_words() -> None:
    from assessor.web.presentation import reason_text

    assert reason_text("revision_below_minimum", 5) == (
        "Not shown (fewer than 5 responses were withdrawn since it was last published,"
        " so showing it could reveal them)"
    )


def test_a_long_table_is_a_page_of_its_own_and_a_wide_map_shows_one_region(
    client, db, monkeypatch
) -> None:
    """At national scale (thousands of rows) the page links to each long table instead of
    inlining it, and the heat map shows one region unless one is chosen."""
    from assessor.dashboards.figures import common, national

    _world(db)
    monkeypatch.setattr(common, "INLINE_ROWS", 3)
    monkeypatch.setattr(national, "HEAT_MAX_ROWS", 3)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?audience=staff").get_data(as_text=True)
    funnel = re.search(r'<section class="chart-block" id="funnel".*?</section>', page, re.S)[0]
    assert "The table of this chart has 4 rows, too many for this page" in funnel
    assert 'href="/dashboards/spring/table/funnel?audience=staff"' in funnel
    assert "<table" not in funnel
    levels = re.search(r'<section class="chart-block" id="levels".*?</section>', page, re.S)[0]
    assert "<table" in levels  # two regions: short enough to stay
    assert _figure(page, "heatmap")["data"][0]["y"] == ["A01", "A02"]
    assert "so this map shows London; choose a region above to see another" in page

    table = client.get("/dashboards/spring/table/funnel?audience=staff").get_data(as_text=True)
    for code in ("A01", "A02", "B01", "B02"):
        assert f"({code})</a>" in table
    assert 'href="/dashboards/spring?audience=staff#funnel"' in table
    assert client.get("/dashboards/spring/table/nope").status_code == 404


def test_the_dashboard_benchmark_runs_on_a_resampled_publication(app, db, capsys) -> None:
    """benchmarks/dashboards.py: 4 organisations resampled to 600 (a long funnel table, so a
    linked page), measured without a browser."""
    from assessor.results import publications
    from benchmarks.dashboards import measure, replace_publication, scale_snapshot

    campaign = _world(db)
    publication = results.publish_first(campaign)
    big = scale_snapshot(publications.snapshot_of(publication).complete(), 600)
    assert len(big.orgs) == 600 and len(big.labels("region")) == 7
    replace_publication(publication, big)
    db.session.commit()
    publications.clear_cache()
    figures = measure(app, "spring", runs=2, browser=False)
    assert figures["server_ms_median"] > 0 and figures["html_bytes"] > 10_000
    assert figures["first_visit_bytes"] > figures["html_bytes"]
    assert "/dashboards/spring: server median" in capsys.readouterr().out


# --------------------------------------------------------------------------- hostile names

HOSTILE_LINK = '<a href="https://evil.example/r">x</a>'


def _walk_strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _walk_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _walk_strings(v)]
    return []


def test_names_reach_plotly_escaped_never_as_html(client, db) -> None:
    # Plotly renders a subset of HTML in tick labels, hover text and legends: an imported region
    # or name of `<a href=...>` would be a live link in the figure. Every name is escaped first.
    from assessor.models import Organisation

    campaign = _world(db, state="open")
    for org in db.session.scalars(select(Organisation)):
        org.name = f"{HOSTILE_LINK} {org.code}"
        org.region = f'{HOSTILE_LINK}"{org.region}'
        org.peer_group = f"{HOSTILE}{org.peer_group}"
    set_window(campaign, "closed")
    db.session.commit()
    _login(client, "board@example.nhs.uk")
    pages = [
        client.get("/dashboards/spring").get_data(as_text=True),
        client.get("/dashboards/spring?chart=levels").get_data(as_text=True),
        client.get("/dashboards/spring/A01").get_data(as_text=True),
    ]
    seen_escaped = False
    for page in pages:
        for chart in _charts(page):
            for text in _walk_strings(_figure(page, chart)):
                assert "<a" not in text and "<script" not in text and "<img" not in text, text
                seen_escaped |= "&lt;a href=&quot;https://evil.example/r&quot;&gt;" in text
    assert seen_escaped  # the names are there, as text


def test_dashboard_csv_writes_hostile_names_as_text(client, db) -> None:
    # A name starting with a tab or `=` is a formula to a spreadsheet: written as text.
    from assessor.models import Organisation

    campaign = _world(db, state="open")
    for org in db.session.scalars(select(Organisation)):
        org.name = f"\t=HYPERLINK(1) {org.code}"
    set_window(campaign, "closed")
    db.session.commit()
    _login(client, "board@example.nhs.uk")
    text = client.get("/dashboards/spring/csv/ranked").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows and all(row[0].startswith("'\t=HYPERLINK(1)") for row in rows), rows
