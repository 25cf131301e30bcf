"""A respondent completes a survey on a phone-sized screen with the keyboard alone."""

from __future__ import annotations

from sqlalchemy import select

from assessor.models import Response
from tests.support.factories import add_orgs, make_campaign, questionnaire

ACTIVE = """() => {
  const el = document.activeElement;
  return {tag: el.tagName, type: el.type || "", name: el.name || "", value: el.value || "",
          text: (el.textContent || "").trim(), outline: getComputedStyle(el).outlineStyle};
}"""


def _tab(page):  # type: ignore[no-untyped-def]
    page.keyboard.press("Tab")
    return page.evaluate(ACTIVE)


def _answer_page_by_keyboard(page, texts: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Tab through the page: in each radio group, Space picks the first answer and three
    presses of the down arrow move to the fourth ("Agree" on an agreement scale); each text
    box gets its text; then Enter on Continue."""
    for _ in range(200):
        el = _tab(page)
        if el["type"] == "radio":
            assert el["outline"] != "none", "focus must be visible"
            page.keyboard.press("Space")
            if el["name"] != "gov-attend":
                for _ in range(3):
                    page.keyboard.press("ArrowDown")
        elif el["tag"] == "TEXTAREA":
            page.keyboard.type(texts.get(el["name"], ""))
        elif el["tag"] == "BUTTON" and el["value"] == "continue":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError("never reached the Continue button")


def test_complete_a_survey_with_the_keyboard_on_a_phone(live_server, browser, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("phone", k=3)
    q = questionnaire(campaign)
    db.session.commit()
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/s/phone/A01/patient_leader")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for _ in range(30):
        el = _tab(page)
        if el["tag"] == "BUTTON" and el["text"] == "Start now":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")

    for number in range(1, 8):
        assert page.url.endswith(f"/{number}")
        assert f"Page {number} of 8" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        _answer_page_by_keyboard(page, {"change-one": "Pay us for our time"})

    assert page.url.endswith("/review")
    assert page.title().startswith("Check your answers")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for _ in range(300):
        el = _tab(page)
        if el["tag"] == "BUTTON" and el["text"] == "Submit your answers":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/done")
    assert "Your answers have been submitted" in page.inner_text("h1")
    context.close()

    db.session.expire_all()
    response = db.session.scalars(select(Response)).one()
    assert response.status == "submitted"
    expected = {item.link_id: "agree" for item in q.scored_items}
    expected.update({"gov-attend": "every_meeting", "change-one": "Pay us for our time"})
    assert response.answers == expected
