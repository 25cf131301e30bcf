"""What a person sees and can do in a real browser: keyboard-only sign-in, the error summary
taking focus, and the dashboard usable on a phone-sized screen."""

from __future__ import annotations

from assessor.auth.passwords import create_user
from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    set_window,
    uniform_answers,
)

PASSWORD = "a long enough password"


def _data(db) -> None:  # type: ignore[no-untyped-def]
    create_user("board@example.nhs.uk", "viewer", PASSWORD)
    add_orgs(("A01", "London", "Urban"), ("B01", "North West", "Rural"))
    campaign = make_campaign("spring", k=3)
    q = questionnaire(campaign)
    for _ in range(3):
        for org in ("A01", "B01"):
            responses.submit(campaign, org, "staff", uniform_answers(q, "agree"))
            responses.submit(campaign, org, "patient_leader", uniform_answers(q, "neutral"))
    set_window(campaign, "closed")
    db.session.commit()


def test_sign_in_with_the_keyboard_alone(live_server, page, db) -> None:
    _data(db)
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.focus("#email")
    page.keyboard.type("board@example.nhs.uk")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/dashboards/")
    assert "board@example.nhs.uk" in page.inner_text("header")


def test_failed_sign_in_moves_focus_to_the_error_summary(live_server, page, db) -> None:
    _data(db)
    page.goto(f"{live_server}/login")
    page.fill("#email", "board@example.nhs.uk")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.evaluate("document.activeElement.className") == "error-summary"
    assert page.title().startswith("Error:")
    page.click(".error-summary a")
    assert page.evaluate("document.activeElement.id") in {"email", "password"}


def test_dashboard_fits_a_phone_screen(live_server, browser, db) -> None:
    _data(db)
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", "board@example.nhs.uk")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/dashboards/spring")
    # The page itself never scrolls sideways; a wide table scrolls inside its own region.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert "2.83" in page.inner_text("table")
    public = f"{live_server}/results/spring/A01"
    page.goto(public)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert "Co-commissioning" in page.inner_text("main")
    context.close()
