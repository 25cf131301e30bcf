"""A patient leader invited by email (through a real SMTP server) completes the survey from
the link in a real browser, is not reminded afterwards, and nothing in their answers
names them."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from assessor.models import Contact, Response, utcnow
from tests.support.factories import add_orgs, make_campaign

PEOPLE = (
    "org_code,audience,email,mobile\n"
    "A01,patient_leader,pat@example.org,07700 900123\n"
    "A01,staff,sam@example.nhs.uk,\n"
)


def test_invited_by_email_completes_and_is_not_reminded(
    live_server, browser, runner, db, app, tmp_path, smtp_server, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    add_orgs(("A01", "London", "Urban"))
    make_campaign("invited", k=3, access="invitation")
    db.session.commit()
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE)
    assert runner.invoke(args=["contacts", "import", "invited", str(path)]).exit_code == 0
    out = runner.invoke(args=["campaigns", "send-invitations", "invited"])
    assert out.exit_code == 0, out.output
    email = smtp_server.to("pat@example.org")[0]
    link = re.search(r"https?://\S+/i/\S+", email.body).group(0)  # type: ignore[union-attr]
    assert link.startswith(live_server)

    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(link)
    assert "patient leader" in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("button", name="Start now").click()
    for _ in range(12):
        if page.url.endswith("/review"):
            break
        for group in page.locator("fieldset").all():
            radios = group.locator("input[type=radio]")
            if radios.count():
                radios.first.check()
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/review")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit your answers").click()
    assert "Your answers have been submitted" in page.inner_text("h1")
    page.goto(link)
    assert "already been used" in page.inner_text("main")
    context.close()

    db.session.execute(update(Contact).values(last_message_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    smtp_server.clear()
    out = runner.invoke(args=["campaigns", "send-reminders", "invited"])
    assert out.output.splitlines()[0] == "1 reminder(s) queued, 1 message(s)"
    assert [r.to for r in smtp_server.received] == [["sam@example.nhs.uk"]]

    db.session.expire_all()
    response = db.session.scalars(select(Response)).one()
    assert response.status == "submitted" and response.audience == "patient_leader"
    stored = str({c.name: getattr(response, c.name) for c in Response.__table__.columns})
    for trace in ("pat@example.org", "7700900123", link.rsplit("/", 1)[-1]):
        assert trace not in stored
    assert response.invitation_id is None
