"""Issue 21 in a real browser, on the demo's data: every page at 320, 375 and 1,280 px is as
wide as the screen (no sideways scroll, no chart wider than the screen), the organisation
pages open with their sentence in words, the public page prints on one A4 page and the board
paper on few, with no heading left at a page's foot. Screenshots and PDFs are saved in
tests/browser/screenshots/ to look at."""

from __future__ import annotations

import re

import pytest

from assessor.auth.passwords import create_user
from assessor.demo import load_demo
from tests.browser.conftest import SHOTS, shot
from tests.browser.test_dashboards import PASSWORD, _open, _sign_in
from tests.dashboards.test_dashboards import _fresh_results_cache  # noqa: F401
from tests.support.factories import publish_shipped

SLUG = "2025-assessment"
#: The board paper's A4 pages at most (issue 21).
BOARD_PAPER_PAGES = 4


@pytest.fixture()
def demo(db):  # type: ignore[no-untyped-def]
    publish_shipped()
    db.session.commit()
    load_demo(seed=5, echo=lambda _: None, organisations=40)
    create_user("phone@example.nhs.uk", "viewer", PASSWORD)
    db.session.commit()
    from assessor.models import CampaignOrganisation, Organisation

    code = db.session.scalars(
        db.select(CampaignOrganisation.org_code).order_by(CampaignOrganisation.org_code)
    ).first()
    return code, db.session.get(Organisation, code).name


def _pages(code: str) -> list[str]:
    return [
        "/",
        "/privacy",
        "/methodology",
        "/easy-read",
        "/api/docs",
        "/no/such/page",
        f"/results/{SLUG}",
        f"/results/{SLUG}/{code}",
        f"/s/2026-assessment/{code}/patient_leader",
        "/dashboards/",
        f"/dashboards/{SLUG}",
        f"/dashboards/{SLUG}/{code}",
        f"/dashboards/{SLUG}/{code}/actions",
    ]


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_every_page_is_as_wide_as_the_screen(live_server, browser, demo, width: int) -> None:
    code, _ = demo
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    _sign_in(page, live_server, "phone@example.nhs.uk")
    too_wide = {}
    for path in _pages(code):
        _open(page, live_server + path)
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
        shot(page, f"readable-{name}-{width}")
        document = page.evaluate("document.documentElement.scrollWidth")
        plots = page.evaluate(
            "Math.max(0, ...Array.from(document.querySelectorAll('.plot svg.main-svg'))"
            ".map(s => s.getBoundingClientRect().right))"
        )
        # a table's caption names it: its words stay on the screen, not in the sideways scroll
        captions = page.evaluate(
            "Array.from(document.querySelectorAll('caption'))"
            ".filter(c => c.getClientRects().length)"
            ".map(c => { const r = document.createRange(); r.selectNodeContents(c);"
            " return Math.round(r.getBoundingClientRect().right); })"
        )
        cut = [right for right in captions if right > width]
        if document != width or plots > width or cut:
            too_wide[path] = (document, plots, cut)
    context.close()
    assert too_wide == {}


def test_wide_tables_on_a_phone_say_they_scroll(live_server, browser, demo) -> None:
    code, _ = demo
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/results/{SLUG}/{code}")
    wide = page.locator(".table-wrap").first
    assert wide.evaluate("el => el.scrollWidth > el.clientWidth")
    hint = page.locator(".table-wrap + .scroll-hint, .scroll-hint").first
    assert hint.is_visible() and "scroll" in hint.inner_text().lower()
    context.close()


def test_organisation_pages_open_with_their_sentence(live_server, browser, demo) -> None:
    code, name = demo
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    _sign_in(page, live_server, "phone@example.nhs.uk")
    for path in (f"/results/{SLUG}/{code}", f"/dashboards/{SLUG}/{code}"):
        _open(page, live_server + path)
        sentence = page.locator(".headline-sentence")
        assert sentence.inner_text().startswith(f"{name}: "), path
        # the sentence is on the first screen of a phone
        assert sentence.bounding_box()["y"] < 800, path
    context.close()


def test_the_funnel_says_why_its_limits_are_level(live_server, browser, demo) -> None:
    """The demo's organisations differ by more than their sizes explain (tau2 > 0): the
    funnel's sentence says so in words instead of leaving a flat "funnel" unexplained."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server, "phone@example.nhs.uk")
    _open(page, f"{live_server}/dashboards/{SLUG}")
    text = page.locator("body").inner_text()
    assert "allow for that spread (overdispersion)" in text
    page.close()


def test_the_first_survey_page_is_short_on_a_phone(live_server, browser, demo) -> None:
    """v3's first page had been 10 statements, 5,666 px tall at 375 px (issue 21); cut into
    parts of at most 7 statements, it is under 4,000 px, and every page still fits the width."""
    code, _ = demo
    page = browser.new_page(viewport={"width": 375, "height": 800})
    _open(page, f"{live_server}/s/2026-assessment/{code}/patient_leader")
    page.click("button:has-text('Start now')")
    page.wait_for_load_state()
    assert "/1" in page.url
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, "readable-survey-page-1-375")
    assert width == 375
    assert height < 4000, height
    page.close()


def test_public_page_prints_on_one_a4_page_and_the_board_paper_on_few(
    live_server, browser, demo
) -> None:
    code, _ = demo
    page = browser.new_page()
    page.goto(f"{live_server}/results/{SLUG}/{code}")
    pdf = page.pdf(format="A4", print_background=True)
    (SHOTS / "readable-public-print.pdf").write_bytes(pdf)
    assert _pdf_pages(pdf) == 1
    _sign_in(page, live_server, "phone@example.nhs.uk")
    _open(page, f"{live_server}/dashboards/{SLUG}/{code}")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 1000})
    page.wait_for_timeout(400)
    # every heading is kept with what follows it (no heading alone at a page's foot)
    assert page.evaluate(
        "Array.from(document.querySelectorAll('main h2, main h3'))"
        ".every(h => getComputedStyle(h).breakAfter === 'avoid')"
    )
    pdf = page.pdf(format="A4", print_background=True)
    (SHOTS / "readable-board-paper.pdf").write_bytes(pdf)
    pages = _pdf_pages(pdf)
    print(f"board paper: {pages} A4 pages")
    assert pages <= BOARD_PAPER_PAGES
    page.close()
