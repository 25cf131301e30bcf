"""The board dashboards in a real browser: every chart drawn, the first chart's numbers equal
to the API's, no console error, no request leaving the server, hostile free text inert, no
WCAG 2.2 AA violation found by axe-core outside the plot canvases, a print layout that fits
A4, and a screenshot of each page in tests/browser/screenshots/ (ignored by git) to look at.

axe-core is vendored (tests/browser/vendor/axe.min.js, from the npm package, MPL-2.0), so a
clean machine needs nothing else."""

from __future__ import annotations

import pytest

from assessor.auth.passwords import create_user
from assessor.auth.tokens import create_token
from assessor.demo import load_demo
from tests.browser.axe import inject_axe
from tests.browser.conftest import SHOTS
from tests.dashboards.test_dashboards import HOSTILE, _fresh_results_cache, _world  # noqa: F401
from tests.support.factories import publish_shipped

PASSWORD = "a long enough password"
#: 210 mm less two 15 mm margins, at 96 px per inch.
A4_WIDTH = 680


class Watch:
    """Console errors, uncaught exceptions, dialogs and requests that leave the server."""

    def __init__(self, page, base: str) -> None:  # type: ignore[no-untyped-def]
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def dialog(d) -> None:  # type: ignore[no-untyped-def]
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)

        def route(r) -> None:  # type: ignore[no-untyped-def]
            url = r.request.url
            if url.startswith(base) or url.startswith("data:"):
                r.continue_()
            else:
                self.outside.append(url)
                r.abort()

        page.route("**/*", route)


def _sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if page.url == f"{base}/login/enrol":  # an admin: enrol an authenticator first
        import pyotp

        page.fill("#code", pyotp.TOTP(page.inner_text("#secret")).now())
        page.click("form button[type=submit]")
        page.click("text=Continue")
    page.wait_for_url(f"{base}/dashboards/")


def _open(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    # Polled from here: wait_for_function evaluates a string in the page, which the app's
    # Content-Security-Policy (no unsafe-eval) refuses.
    drawn = (
        "document.querySelectorAll('.plot[data-figure]').length ==="
        " document.querySelectorAll('.plot[data-drawn]').length"
    )
    for _ in range(600):
        if page.evaluate(drawn):
            break
        page.wait_for_timeout(100)
    assert page.evaluate(drawn)
    # Each chart is an SVG plot (WebGL traces draw on a canvas inside the same plot).
    assert page.evaluate(
        "Array.from(document.querySelectorAll('.plot[data-figure]'))"
        ".every(p => p.querySelector('svg.main-svg'))"
    )


def _axe(page) -> list[dict]:  # type: ignore[no-untyped-def]
    inject_axe(page)
    return page.evaluate(
        """async () => {
          const result = await axe.run({exclude: [[".plot"]]}, {runOnly: {type: "tag", values:
            ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]}});
          return result.violations.map(v => ({id: v.id, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )


def _print_fits_a4(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH, "height": 1000})
    page.wait_for_timeout(400)  # plotly's responsive redraw
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_WIDTH
    assert page.evaluate(
        "Array.from(document.querySelectorAll('.plot svg.main-svg'))"
        f".every(s => s.getBoundingClientRect().width <= {A4_WIDTH})"
    )
    for hidden in (".site-header", ".filters", ".site-footer"):
        assert not page.locator(hidden).first.is_visible()
    assert page.locator(".chart-table").first.is_visible()
    page.screenshot(path=str(SHOTS / f"{name}-print.png"), full_page=True)
    page.pdf(path=str(SHOTS / f"{name}.pdf"), format="A4", print_background=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})


def _api(app, path: str, raw: str) -> dict:  # type: ignore[no-untyped-def]
    with app.test_client() as c:
        response = c.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 200, response.data
        return response.get_json()


def test_demo_pages_draw_match_the_api_and_pass_axe(app, live_server, page, db) -> None:
    publish_shipped()
    db.session.commit()
    load_demo(seed=5, echo=lambda _: None, organisations=40)
    create_user("dash@example.nhs.uk", "viewer", PASSWORD)
    _, raw = create_token("browser test", ["results:read"])
    db.session.commit()
    watch = Watch(page, live_server)
    _sign_in(page, live_server, "dash@example.nhs.uk")

    slug = "2025-assessment"
    _open(page, f"{live_server}/dashboards/{slug}?region=North+West")
    drawn = page.evaluate(
        """() => document.getElementById("funnel-plot").data
             .filter(t => t.mode === "markers")
             .flatMap(t => t.customdata.map((c, k) => [c, t.x[k], t.y[k]]))"""
    )
    items = _api(app, f"/campaigns/{slug}/results?region=North%20West&limit=1000", raw)["items"]
    shown = {
        i["organisation"]["code"]: i["overall"] for i in items if not i["overall"]["suppressed"]
    }
    assert {code for code, _, _ in drawn} == set(shown)
    for code, x, y in drawn:
        assert x == shown[code]["n"]
        assert y == pytest.approx(shown[code]["score"], abs=1e-6)
    page.screenshot(path=str(SHOTS / "national.png"), full_page=True)
    assert _axe(page) == []
    _print_fits_a4(page, "national")

    code = sorted(shown)[0]
    _open(page, f"{live_server}/dashboards/{slug}/{code}")
    profile = page.evaluate("() => document.getElementById('profile-plot').data")
    item = _api(app, f"/campaigns/{slug}/results/{code}", raw)
    peer = item["organisation"]["peer_group"]
    groups = _api(app, f"/campaigns/{slug}/benchmarks?group_by=peer_group&limit=1000", raw)
    group = next(g for g in groups["items"] if g["group"]["value"] == peer)
    q = _api(app, "/questionnaires/engagement-maturity/2", raw)
    order = [d["key"] for d in q["domains"]]  # the chart's order; JSON objects have none
    scores = [item["overall"]["score"]] + [item["domains"][d]["score"] for d in order]
    medians = [group["overall"]["median"]] + [group["domains"][d]["median"] for d in order]
    assert profile[2]["x"] == pytest.approx(scores, abs=1e-6)
    assert profile[1]["x"] == pytest.approx(medians, abs=1e-6)
    assert page.locator("#trend-plot").count() == 1  # 2025 has a previous campaign
    page.screenshot(path=str(SHOTS / "organisation.png"), full_page=True)
    assert _axe(page) == []
    _print_fits_a4(page, "organisation")

    # A click on a mark goes to that organisation's page.
    _open(page, f"{live_server}/dashboards/{slug}?region=North+West")
    target = page.evaluate(
        """() => { const t = document.getElementById("ranked-plot").data[0];
                   return t.customdata[0]; }"""
    )
    page.evaluate(
        """() => { const p = document.getElementById("ranked-plot");
                   p.emit("plotly_click", {points: [{customdata: p.data[0].customdata[0],
                                                     data: p.data[0]}]}); }"""
    )
    page.wait_for_url(f"{live_server}/dashboards/{slug}/{target}")

    _open(page, f"{live_server}/dashboards/2026-assessment")  # open: counts only, no chart
    assert page.locator(".plot").count() == 0
    assert "Results are published when the campaign closes" in page.inner_text("main")
    assert _axe(page) == []
    assert watch.errors == [] and watch.outside == [] and watch.dialogs == []


def test_hostile_free_text_is_inert(live_server, page, db) -> None:
    _world(db)
    watch = Watch(page, live_server)
    _sign_in(page, live_server, "admin@example.nhs.uk")
    _open(page, f"{live_server}/dashboards/spring/A01")
    page.wait_for_timeout(300)
    comments = page.inner_text("#comments")
    assert HOSTILE in comments  # shown as the text it is
    assert page.locator("#comments script, #comments img").count() == 0
    assert watch.dialogs == [] and watch.errors == [] and watch.outside == []
    page.locator("#comments").screenshot(path=str(SHOTS / "comments.png"))
    assert _axe(page) == []


def test_the_national_page_at_national_scale(app, live_server, page, db) -> None:
    """7,000 organisations (the demo's 40 resampled, as benchmarks/dashboards.py does): every
    chart drawn, the funnel a density of those within its limits and a mark for each other,
    a real click on a mark opens that organisation's page, no axe violation. How long the
    browser takes is measured by benchmarks/dashboards.py, not asserted here."""
    from assessor import results
    from assessor.campaigns.service import get_campaign
    from assessor.results import publications
    from benchmarks.dashboards import replace_publication, scale_snapshot

    publish_shipped()
    db.session.commit()
    load_demo(seed=5, echo=lambda _: None, organisations=40)
    create_user("dash@example.nhs.uk", "viewer", PASSWORD)
    slug = "2025-assessment"
    publication = results.publish_first(get_campaign(slug))
    big = scale_snapshot(publications.snapshot_of(publication).complete(), 7000)
    replace_publication(publication, big)
    db.session.commit()
    publications.clear_cache()
    watch = Watch(page, live_server)
    _sign_in(page, live_server, "dash@example.nhs.uk")

    _open(page, f"{live_server}/dashboards/{slug}")
    traces = page.evaluate(
        """() => document.getElementById("funnel-plot").data.map(t => ({type: t.type,
             mode: t.mode || null, marks: t.mode === "markers" ? t.x.filter(x => x !== null).length
             : 0, z: t.type === "heatmap" ? t.z.flat().reduce((a, b) => a + (b || 0), 0) : 0}))"""
    )
    shaded = sum(t["z"] for t in traces)
    marks = sum(t["marks"] for t in traces)
    assert [t["type"] for t in traces].count("heatmap") == 1 and shaded > 5000
    assert 0 < marks < 2000
    assert "organisations within the 95% limits are too many to mark one by one" in page.inner_text(
        "#funnel"
    )
    assert page.locator("#heatmap .chart-summary").inner_text().count("highest at the top") == 1
    page.screenshot(path=str(SHOTS / "national-scale.png"), full_page=True)
    assert _axe(page) == []

    # A real click on a funnel mark (not an event sent to plotly.js) opens its organisation.
    point = page.locator("#funnel-plot .scatterlayer .trace .points path.point").first
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(200)
    page.mouse.click(x, y)
    page.wait_for_url(f"{live_server}/dashboards/{slug}/X*")
    assert page.locator("h1").inner_text().startswith("Synthetic organisation")
    assert watch.errors == [] and watch.outside == [] and watch.dialogs == []
