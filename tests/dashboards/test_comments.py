"""Free text on the board's organisation page (issue 17, finding 6): frozen with the
publication, read only by administrators and the organisation's own users, each read
audited, an administrator's hide respected."""

from __future__ import annotations

import re

from sqlalchemy import select

from assessor.auth.passwords import create_user
from assessor.models import AuditEvent, Response
from assessor.responses import submission as responses
from tests.dashboards.test_dashboards import HOSTILE, _world
from tests.support.factories import set_window
from tests.web.test_web import PASSWORD, _login, _token

OWN = "own@example.nhs.uk"


def _own_user(db) -> None:  # type: ignore[no-untyped-def]
    create_user(OWN, "editor", PASSWORD, "A01")
    create_user("other@example.nhs.uk", "editor", PASSWORD, "B01")
    db.session.commit()


def _sign_out(client) -> None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as session:
        session.clear()


def _reads(db) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "comment.read").order_by(AuditEvent.id)
        )
    )


def test_comments_are_escaped_and_shown_only_from_ten_respondents_once_published(
    client, db
) -> None:
    campaign = _world(db, "open")
    _own_user(db)
    _login(client, "admin@example.nhs.uk")
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "staff comment" not in page  # an open campaign: a preview, never free text
    assert "Free-text answers are shown once the campaign's results are published." in page

    set_window(campaign, "closed")
    db.session.commit()
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    for s in range(1, 10):
        assert f"staff comment {s}" in page
    assert HOSTILE not in page
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    )
    assert "patient comment" in page


def test_comments_are_not_shown_below_ten_respondents(client, db) -> None:
    campaign = _world(db, "open")
    _own_user(db)
    first = db.session.scalars(
        select(Response).where(Response.org_code == "A01", Response.audience == "patient_leader")
    ).first()
    responses.void(first, "a test response", actor="admin")
    set_window(campaign, "closed")
    db.session.commit()
    _login(client, OWN)
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "patient comment" not in page
    assert "Not shown (fewer than 10 patient leaders responded)." in page
    assert "staff comment 3" in page


def test_a_void_after_publication_leaves_the_published_comments_in_place(client, db) -> None:
    """Comments used to be read live: after a void (and no republication) they vanished
    from the page while the publication still counted the cell as shown."""
    _world(db, "closed")
    _own_user(db)
    voided = db.session.scalars(
        select(Response).where(Response.org_code == "A01", Response.audience == "patient_leader")
    ).first()
    responses.void(voided, "a test response", actor="admin")
    db.session.commit()
    _login(client, OWN)
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "patient comment" in page
    assert "staff comment 3" in page
    assert "Not shown (fewer than 10 patient leaders responded)." not in page


def test_only_administrators_and_the_organisations_users_read_comments_each_read_audited(
    client, db
) -> None:
    _world(db, "closed")
    _own_user(db)
    _login(client, "board@example.nhs.uk")  # a national viewer
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "staff comment" not in page and "patient comment" not in page
    assert "Your account belongs to no organisation (a national view), so it shows none." in page
    _sign_out(client)
    _login(client, "other@example.nhs.uk")
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "staff comment" not in page and "patient comment" not in page
    assert "Your account belongs to another organisation" in page
    assert _reads(db) == []

    _sign_out(client)
    _login(client, OWN)
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "staff comment 1" in page
    client.get("/dashboards/spring/A01?audience=staff")
    _sign_out(client)
    _login(client, "admin@example.nhs.uk")
    assert "staff comment 1" in client.get("/dashboards/spring/A01").get_data(as_text=True)
    reads = _reads(db)
    assert [(e.actor, e.details) for e in reads] == [
        (OWN, {"campaign": "spring", "organisation": "A01"}),
        (OWN, {"campaign": "spring", "organisation": "A01"}),
        ("admin@example.nhs.uk", {"campaign": "spring", "organisation": "A01"}),
    ]


def test_an_admin_hides_a_comment_and_the_hide_is_audited(client, db) -> None:
    _world(db)
    _own_user(db)
    _login(client, "admin@example.nhs.uk")
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    block = re.search(
        r"<li>\s*<p class=\"comment-question\">[^<]*</p>\s*"
        r"<blockquote class=\"comment-text\">staff comment 4</blockquote>.*?</li>",
        page,
        re.S,
    )[0]
    ref = re.search(r'name="ref" value="([0-9a-f]+)"', block).group(1)
    response = client.post(
        "/dashboards/spring/A01/comments/hide", data={"csrf_token": _token(page), "ref": ref}
    )
    assert response.status_code == 302
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "staff comment 4" not in page and "staff comment 5" in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.hide")).one()
    assert event.actor == "admin@example.nhs.uk"
    assert event.details["organisation"] == "A01" and event.details["item"] == "comments"
    assert (
        client.post(
            "/dashboards/spring/A01/comments/hide",
            data={"csrf_token": _token(page), "ref": "0" * 32},
        ).status_code
        == 404
    )
    # Hidden stays hidden for the organisation's own users, and in the next publication.
    _sign_out(client)
    _login(client, OWN)
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "staff comment 4" not in page and "staff comment 5" in page


def test_viewers_cannot_hide_comments_and_a_form_needs_its_token(client, db) -> None:
    _world(db)
    _own_user(db)
    _login(client, OWN)
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "staff comment 1" in page and "Hide this comment" not in page
    hide = "/dashboards/spring/A01/comments/hide"
    assert client.post(hide, data={"csrf_token": _token(page), "ref": "x"}).status_code == 403
    assert client.post(hide, data={"ref": "x"}).status_code == 400
