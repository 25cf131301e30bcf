"""The administrators' contacts page: the same import as the command (errors by line,
nothing stored from a bad file), the send button, and counts; nobody else may use it."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from assessor.auth.passwords import create_user
from assessor.models import Contact
from tests.actions.conftest import post, sign_in
from tests.support.factories import add_orgs, make_campaign

URL = "/admin/campaigns/c/contacts"


def _upload(client, text: str):  # type: ignore[no-untyped-def]
    return post(
        client,
        URL,
        {"file": (io.BytesIO(text.encode()), "people.csv")},
        content_type="multipart/form-data",
    )


def test_admins_upload_a_list_and_send_invitations(client, db, smtp_server) -> None:
    add_orgs(("A01", "London", "Urban"))
    make_campaign("c", access="invitation")
    admin = create_user("admin@example.nhs.uk", "admin", "a long enough password")
    viewer = create_user("viewer@example.nhs.uk", "viewer", "a long enough password")
    db.session.commit()
    assert client.get(URL).status_code == 302  # to sign in
    sign_in(client, viewer)
    assert client.get(URL).status_code == 403
    assert _upload(client, "org_code,audience,email,mobile\n").status_code == 403

    sign_in(client, admin)
    bad = _upload(client, "org_code,audience,email,mobile\nA01,staff,nope,\nA01,staff,,\n")
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "line 2: &#39;nope&#39; is not an email address" in page
    assert "line 3: give an email address or a mobile number" in page
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0

    # Larger than the 64 KB every other form is allowed.
    rows = "".join(f"A01,staff,person{i:05}@example.nhs.uk,\n" for i in range(2000))
    good = _upload(client, "org_code,audience,email,mobile\n" + rows)
    assert good.status_code == 302, good.get_data(as_text=True)[:500]
    page = client.get(URL).get_data(as_text=True)
    assert "2000 contact(s) added, 0 duplicate(s) merged." in page

    sent = post(client, "/admin/campaigns/c/send-invitations")
    assert sent.status_code == 302
    assert "2000 invitation(s) sent." in client.get(URL).get_data(as_text=True)
    assert len(smtp_server.received) == 2000
    assert '<th scope="row">Invitations sent</th><td>2000</td>' in client.get(URL).get_data(
        as_text=True
    )


def test_the_reminder_button_reminds_only_those_who_have_not_answered(
    client, db, smtp_server
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from assessor.campaigns import contacts, outbox
    from assessor.models import Invitation, utcnow

    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", access="invitation")
    admin = create_user("admin@example.nhs.uk", "admin", "a long enough password")
    text = (
        "org_code,audience,email,mobile\nA01,staff,a@example.nhs.uk,\nA01,staff,b@example.nhs.uk,\n"
    )
    contacts.import_contacts(campaign, text)
    outbox.queue_invitations(campaign, ("email",))
    first = db.session.scalars(select(Contact).order_by(Contact.id)).first()
    db.session.execute(
        update(Invitation).where(Invitation.id == first.invitation_id).values(used_at=utcnow())
    )
    db.session.execute(update(Contact).values(last_message_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    sign_in(client, admin)
    assert post(client, "/admin/campaigns/c/send-reminders").status_code == 302
    assert "1 reminder(s) sent." in client.get(URL).get_data(as_text=True)
    # The queued invitations went too, on the same sending job.
    reminders = [r for r in smtp_server.received if r.message["Subject"].startswith("Reminder")]
    assert [r.to for r in reminders] == [["b@example.nhs.uk"]]
