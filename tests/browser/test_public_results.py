"""The public results pages in a real browser: axe-core (WCAG 2.2 AA) at 320 and 1280 px,
searching with JavaScript turned off, the charts, the one-page A4 print, the API reference."""

from __future__ import annotations

import re

import pytest

from tests.browser.axe import violations
from tests.browser.conftest import shot
from tests.support.published_data import build_two_campaigns

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PUBLIC_PAGES = (
    "/",
    "/methodology",
    "/privacy",
    "/easy-read",
    "/results/spring",
    "/results/spring?q=nhs&region=London",
    "/results/spring/A01",
    "/results/spring/A02",
    "/results/spring/B01",
)


def _axe(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{v['id']}: {', '.join(v['nodes'])}" for v in violations(page, WCAG)]


@pytest.mark.parametrize("width", [320, 1280])
def test_public_pages_pass_axe(live_server, browser, db, width: int) -> None:
    build_two_campaigns(db)
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    problems = {}
    for path in PUBLIC_PAGES:
        page.goto(live_server + path)
        shot(page, f"public{re.sub(r'[^a-z0-9]+', '-', path.lower()).rstrip('-')}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        violations = _axe(page)
        if violations:
            problems[path] = violations
    context.close()
    assert problems == {}


def test_a_wide_table_on_a_phone_is_reachable_by_keyboard(live_server, browser, db) -> None:
    build_two_campaigns(db)
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/results/spring/A01")
    region = page.locator(".table-wrap").first
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('table-wrap')"):
            break
    else:
        raise AssertionError("the scrolling table never took focus")
    page.keyboard.press("ArrowRight")
    # Polled from here: wait_for_function evaluates a string in the page, which the app's
    # Content-Security-Policy (no unsafe-eval) rightly refuses.
    for _ in range(50):
        if page.evaluate("document.activeElement.scrollLeft") > 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.activeElement.scrollLeft") > 0
    context.close()


def test_search_works_without_javascript(live_server, browser, db) -> None:
    build_two_campaigns(db)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/results/spring")
    page.fill("#q", "camden")
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    assert "q=camden" in page.url
    assert page.inner_text("#matches") == "1 organisation found"
    with page.expect_navigation():
        page.click("text=NHS Camden 50%_ Location")
    assert page.url.endswith("/results/spring/A02")
    page.goto(f"{live_server}/results/spring")
    page.select_option("#region", "North West")
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    assert page.locator(".org-list li").all_inner_texts() == ["NHS Bolton B01 North West"]
    context.close()


def test_charts_draw_every_area_inside_the_screen(live_server, browser, db) -> None:
    build_two_campaigns(db)
    for width in (320, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(f"{live_server}/results/spring/A01")
        charts = page.locator("svg.chart")
        assert charts.count() == 2  # levels against medians, and the trend
        for i in range(2):
            box = charts.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
            assert box["width"] >= min(280, width - 40)
        levels = charts.nth(0)
        assert levels.get_attribute("role") == "img"
        assert levels.locator("circle").count() == 7  # six areas and the key
        # The words in the chart are legible: at least 9 px on a phone.
        size = page.evaluate(
            "() => document.querySelector('svg.chart text').getBoundingClientRect().height"
        )
        assert size >= 9
        context.close()


def test_print_layout_fits_one_a4_page(live_server, browser, db) -> None:
    build_two_campaigns(db)
    page = browser.new_page()
    for code in ("A01", "B01"):
        page.goto(f"{live_server}/results/spring/{code}")
        pdf = page.pdf(format="A4", print_background=True)
        pages = re.findall(rb"/Type\s*/Page(?![s\w])", pdf)
        assert len(pages) == 1, code
    page.emulate_media(media="print")
    page.goto(f"{live_server}/results/spring/A01")
    assert not page.locator("nav[aria-label=Main]").is_visible()
    assert page.locator("svg.chart").first.is_visible()
    page.close()


def test_api_reference_is_served_by_the_app_alone(live_server, page, db) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server}/api/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/campaigns/{slug}/results" in p for p in paths)
    assert requests and all(url.startswith(live_server) for url in requests), requests
