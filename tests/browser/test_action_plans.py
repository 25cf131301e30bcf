"""An editor writes a plan with the keyboard, and a patient leader co-signs it on a phone with
the keyboard alone; axe-core finds no violation on any page on the way."""

from __future__ import annotations

import re

from sqlalchemy import select

from assessor.actions.cosign import create_cosign_links
from assessor.auth.passwords import create_user
from assessor.campaigns.service import publish_closed
from assessor.models import Action, Cosign
from tests.browser.axe import violations
from tests.browser.conftest import shot
from tests.support.factories import add_orgs, make_campaign

PASSWORD = "a long enough password"


def _tab_to(page, predicate, limit: int = 60):  # type: ignore[no-untyped-def]
    for _ in range(limit):
        page.keyboard.press("Tab")
        el = page.evaluate(
            "() => ({tag: document.activeElement.tagName, id: document.activeElement.id,"
            " text: (document.activeElement.textContent || '').trim()})"
        )
        if predicate(el):
            return el
    raise AssertionError("never reached the element")


def test_an_editor_writes_a_plan_and_a_patient_leader_cosigns_it(live_server, browser, db):
    add_orgs(("A01", "London", "Urban"))
    publish_closed(make_campaign("spring", state="closed", k=3))  # as `jobs run-due` would
    create_user("editor@example.nhs.uk", "editor", PASSWORD, "A01")
    db.session.commit()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/login?next=/dashboards/spring/A01/actions")
    page.fill("#email", "editor@example.nhs.uk")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/dashboards/spring/A01/actions")
    assert violations(page) == []

    _tab_to(page, lambda el: el["text"] == "Add an action")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Saving an empty form: the error summary takes focus and links to each field.
    _tab_to(page, lambda el: el["text"] == "Save")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title().startswith("Error:")
    assert page.evaluate("document.activeElement.className") == "error-summary"
    assert violations(page) == []

    page.focus("#domain")
    page.select_option("#domain", "governance")
    page.keyboard.press("Tab")
    page.keyboard.type("Patient leaders co-chair the quality committee")
    page.keyboard.press("Tab")
    page.keyboard.type("From the next committee cycle, with papers in plain English.")
    page.fill("#due_on", "2026-09-30")
    page.focus("#status")
    page.keyboard.press("Space")
    _tab_to(page, lambda el: el["text"] == "Save")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/dashboards/spring/A01/actions")
    assert "Patient leaders co-chair the quality committee" in page.inner_text("main")
    assert "30 September 2026" in page.inner_text("main")
    assert violations(page) == []
    context.close()

    (action,) = db.session.scalars(select(Action)).all()
    assert (action.domain, action.status) == ("governance", "planned")
    (token,) = create_cosign_links("spring", "A01", 1)
    db.session.commit()

    phone = browser.new_context(viewport={"width": 375, "height": 800})
    page = phone.new_page()
    page.goto(f"{live_server}/cosign/{token}")
    shot(page, "cosign-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert "co-chair the quality committee" in page.inner_text("main")
    assert violations(page) == []
    _tab_to(page, lambda el: el["id"] == "agrees")
    page.keyboard.press("Space")
    _tab_to(page, lambda el: el["tag"] == "TEXTAREA")
    page.keyboard.type("Yes, and pay us for the time.")
    _tab_to(page, lambda el: el["text"] == "Send your answer")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Thank you" in page.inner_text("h1")
    assert violations(page) == []
    page.goto(f"{live_server}/cosign/{token}")
    assert "already been used" in page.inner_text("h1")

    page.goto(f"{live_server}/results/spring/A01")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    text = page.inner_text("main")
    # A co-signature reaches the public tally the next day, and never below k.
    assert re.search(r"fewer than \d+ patient leaders have co-signed this plan", text)
    assert "agreed that this plan" not in text
    assert "pay us" not in text
    assert violations(page) == []
    phone.close()

    db.session.expire_all()
    (cosign,) = db.session.scalars(select(Cosign)).all()
    assert cosign.agrees and cosign.comment == "Yes, and pay us for the time."


def test_a_patient_leader_gives_a_verdict_with_the_keyboard(live_server, browser, db):
    from assessor.actions import operations
    from assessor.auth.passwords import create_user as make_user
    from assessor.responses import submission as responses
    from tests.support.factories import questionnaire, set_window, uniform_answers

    add_orgs(("A01", "London", "Urban"))
    before = make_campaign("before", state="closed", k=3)
    now = make_campaign("now", previous="before", k=3)
    admin = make_user("admin@example.nhs.uk", "admin", PASSWORD)
    form = {
        "domain": "governance",
        "title": "Patient leaders on the board",
        "description": "",
        "due_on": "2026-03-31",
        "status": "done",
    }
    action = operations.add_action(before, "A01", form, admin)
    q = questionnaire(now)
    response, token = responses.start(now, "A01", "patient_leader")
    responses.save_answers(response, uniform_answers(q, "agree"), [i.link_id for i in q.items])
    db.session.commit()

    phone = browser.new_context(viewport={"width": 375, "height": 800})
    page = phone.new_page()
    page.goto(f"{live_server}/r/{token}/actions")
    shot(page, "verdicts-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert "Patient leaders on the board" in page.inner_text("main")
    assert violations(page) == []
    _tab_to(page, lambda el: el["id"] == f"happened-{action.id}")
    page.keyboard.press("Space")  # "Yes, done"
    _tab_to(page, lambda el: el["id"] == f"difference-{action.id}")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # "Some difference"
    _tab_to(page, lambda el: el["text"] == "Continue")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/review")
    assert "Some difference" in page.inner_text("main")
    assert violations(page) == []
    _tab_to(page, lambda el: el["text"] == "Submit your answers", limit=300)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/done")

    set_window(now, "closed")
    db.session.commit()
    page.goto(f"{live_server}/results/now/A01")
    assert "Did last round's plan happen?" in page.inner_text("main")
    assert "fewer than 3 patient leaders answered" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert violations(page) == []
    phone.close()
