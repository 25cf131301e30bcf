"""On v3, "This does not happen here" is one more answer of the same radio group, reached by
keyboard like the others, and the page still fits a phone."""

from __future__ import annotations

from sqlalchemy import select

from assessor.models import Response
from assessor.survey.pages import survey_pages
from tests.browser.conftest import shot
from tests.browser.test_survey_keyboard import _tab
from tests.support.factories import add_orgs, make_campaign, questionnaire


def test_does_not_happen_here_by_keyboard_on_a_phone(live_server, browser, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("v3", version=3, k=3)
    q = questionnaire(campaign)
    db.session.commit()
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/s/v3/A01/staff")
    assert "Who is a patient leader?" in page.inner_text("main")
    shot(page, "survey-start-375")
    with page.expect_navigation():
        page.click("button:has-text('Start now')")
    shot(page, "survey-page-1-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for _ in range(200):
        el = _tab(page)
        if el["type"] == "radio":
            # Space picks "Strongly disagree"; six presses of the down arrow pass "Don't
            # know" and the "or" to "This does not happen here", the seventh answer. On a
            # fact item (yes, partly, no, don't know) the arrows wrap round to "No".
            page.keyboard.press("Space")
            for _ in range(6):
                page.keyboard.press("ArrowDown")
        elif el["tag"] == "BUTTON" and el["value"] == "continue":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            break
    assert page.url.endswith("/2")
    context.close()

    db.session.expire_all()
    response = db.session.scalars(select(Response)).one()
    first_page = [item.link_id for item in survey_pages(q)[0].items]
    assert response.answers == {
        link_id: q.item(link_id).nearest_answer("not_happening") for link_id in first_page
    }
