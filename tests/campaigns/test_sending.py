"""Invitations and reminders by email through a real SMTP server (aiosmtpd), inline (no
Redis): links work once, reminders only to those who have not answered, nothing after
opting out or after the campaign closes, contacts deleted at close with their counts kept."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select, update

from assessor.campaigns import outbox
from assessor.campaigns.messages import email_text, sms_text
from assessor.extensions import db as _db
from assessor.jobs.transports import Outgoing, SmtpTransport, message_id
from assessor.models import AuditEvent, Campaign, Contact, Invitation, Message, Response, utcnow
from assessor.questionnaires.publishing import definition_of
from assessor.questionnaires.readability import reading_ease
from tests.support.factories import add_orgs, make_campaign, set_window

CSRF = "test-csrf"
PEOPLE = (
    "org_code,audience,email,mobile\n"
    "A01,staff,ann@example.nhs.uk,\n"
    "A01,patient_leader,bob@example.org,07700 900123\n"
    "B02,staff,cat@example.nhs.uk,\n"
    "B02,patient_leader,,07700 900999\n"
)


def _setup(runner, db, tmp_path):  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"), ("B02", "Midlands", "Rural"))
    make_campaign("c", access="invitation")
    db.session.commit()
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE)
    assert runner.invoke(args=["contacts", "import", "c", str(path)]).exit_code == 0
    return db.session.scalars(select(Campaign)).one()


def _submit(client, token: str) -> None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as s:
        s["csrf_token"] = CSRF
    started = client.post(f"/i/{token}", data={"csrf_token": CSRF})
    assert started.status_code == 302, started.get_data(as_text=True)
    resume = started.headers["Location"].split("/")[2]
    # A blank survey is refused (issue 21): answer the first statement.
    q = definition_of(_db.session.scalars(select(Campaign)).one().questionnaire)
    first = {q.scored_items[0].link_id: "dont_know", "action": "continue", "csrf_token": CSRF}
    assert client.post(f"/r/{resume}/1", data=first).status_code == 302
    done = client.post(f"/r/{resume}/review", data={"csrf_token": CSRF})
    assert done.headers["Location"] == "/done"


def _age_messages(db, days: float = 8) -> None:  # type: ignore[no-untyped-def]
    db.session.execute(update(Contact).values(last_message_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def test_messages_are_plain_english_and_say_what_they_must() -> None:
    closes = utcnow().replace(year=2027, month=1, day=30)
    for kind in ("invitation", "reminder"):
        for audience in ("staff", "patient_leader"):
            text = email_text(
                kind, "NHS Leeds ICB", audience, closes, "http://x/i/a", "http://x/o/b"
            )
            words = re.sub(r"https?://\S+", "", text.subject + ". " + text.body)
            assert reading_ease(words) >= 65, (kind, audience)
            for needed in ("NHS Leeds ICB", "30 January 2027", "A patient leader is", "/o/b"):
                assert needed in text.subject + text.body
        sms = sms_text(kind, "NHS Leeds ICB", closes, "http://x/i/a", "http://x/o/b")
        assert reading_ease(re.sub(r"https?://\S+", "", sms)) >= 65
        assert "30 January 2027" in sms and "/o/b" in sms


def test_invitations_are_sent_once_each_and_their_links_work_once(
    runner, client, db, tmp_path, smtp_server
) -> None:
    _setup(runner, db, tmp_path)
    out = runner.invoke(args=["campaigns", "send-invitations", "c"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        "3 invitation(s) queued, 3 message(s)",
        "1 contact(s) have only a mobile number: set NOTIFY_API_KEY",
        "messages: 3 sent, 0 failed, 0 to retry, 0 not sent",
    ]
    got = smtp_server.received
    assert sorted(r.to[0] for r in got) == [
        "ann@example.nhs.uk",
        "bob@example.org",
        "cat@example.nhs.uk",
    ]
    bob = smtp_server.to("bob@example.org")[0]
    assert bob.message["Subject"] == "NHS A01 would like your views"
    assert "We are asking you as a patient leader." in bob.body
    assert len({r.link for r in got}) == 3
    # Again: nobody is invited twice.
    again = runner.invoke(args=["campaigns", "send-invitations", "c"])
    assert again.output.splitlines()[0] == "0 invitation(s) queued, 0 message(s)"
    assert len(smtp_server.received) == 3

    page = client.get(f"/i/{bob.link}")
    assert page.status_code == 200
    _submit(client, bob.link)
    assert client.get(f"/i/{bob.link}").status_code == 404  # used
    response = db.session.scalars(select(Response).where(Response.status == "submitted")).one()
    assert response.invitation_id is None
    row = str({c.name: getattr(response, c.name) for c in Response.__table__.columns})
    assert "bob" not in row and bob.link not in row


def test_reminders_go_only_to_those_who_have_not_answered_at_most_twice(
    runner, client, db, tmp_path, smtp_server
) -> None:
    _setup(runner, db, tmp_path)
    runner.invoke(args=["campaigns", "send-invitations", "c"])
    _submit(client, smtp_server.to("ann@example.nhs.uk")[0].link)
    smtp_server.clear()
    # Too soon: the invitation went today.
    assert runner.invoke(args=["campaigns", "send-reminders", "c"]).output == (
        "0 reminder(s) queued, 0 message(s)\n"
    )
    _age_messages(db)
    out = runner.invoke(args=["campaigns", "send-reminders", "c"])
    assert out.output.splitlines()[0] == "2 reminder(s) queued, 2 message(s)"
    assert sorted(r.to[0] for r in smtp_server.received) == [
        "bob@example.org",
        "cat@example.nhs.uk",
    ]
    first = smtp_server.to("cat@example.nhs.uk")[0]
    assert first.message["Subject"].startswith("Reminder:")
    # The reminder repeats the invitation's own link.
    assert first.link == smtp_server.to("cat@example.nhs.uk")[0].link
    for _ in range(3):
        _age_messages(db)
        runner.invoke(args=["campaigns", "send-reminders", "c"])
    assert len(smtp_server.to("cat@example.nhs.uk")) == 2  # REMINDERS_MAX
    assert not smtp_server.to("ann@example.nhs.uk")


def test_opting_out_stops_every_later_message(runner, client, db, tmp_path, smtp_server) -> None:
    _setup(runner, db, tmp_path)
    runner.invoke(args=["campaigns", "send-invitations", "c"])
    cat = smtp_server.to("cat@example.nhs.uk")[0]
    asked = client.get(f"/o/{cat.opt_out}")
    assert asked.status_code == 200 and "Stop messages" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Contact.opted_out_at).where(Contact.email == cat.to[0])) is None
    with client.session_transaction() as s:
        s["csrf_token"] = CSRF
    done = client.post(f"/o/{cat.opt_out}", data={"csrf_token": CSRF})
    assert "no more messages" in done.get_data(as_text=True)
    assert client.get("/o/not-a-token").status_code == 404
    smtp_server.clear()
    for _ in range(3):
        _age_messages(db)
        runner.invoke(args=["campaigns", "send-reminders", "c"])
    assert not smtp_server.to("cat@example.nhs.uk")
    assert len(smtp_server.to("ann@example.nhs.uk")) == 2


def test_an_opt_out_after_queueing_stops_the_queued_message(
    runner, db, tmp_path, smtp_server
) -> None:
    campaign = _setup(runner, db, tmp_path)
    outbox.queue_invitations(campaign, ("email",))
    contact = db.session.scalars(select(Contact).where(Contact.email == "ann@example.nhs.uk")).one()
    contact.opted_out_at = utcnow()
    db.session.commit()
    out = runner.invoke(args=["jobs", "run-due"])
    assert "messages: 2 sent, 0 failed, 0 to retry, 1 not sent" in out.output
    assert not smtp_server.to("ann@example.nhs.uk")


def test_refused_addresses_are_recorded_and_temporary_refusals_retried(
    runner, db, tmp_path, smtp_server
) -> None:
    _setup(runner, db, tmp_path)
    smtp_server.handler.refuse["ann@example.nhs.uk"] = "550 5.1.1 No such user"
    smtp_server.handler.refuse["cat@example.nhs.uk"] = "451 4.3.0 Try again later"
    out = runner.invoke(args=["campaigns", "send-invitations", "c"])
    assert "messages: 1 sent, 1 failed, 1 to retry, 0 not sent" in out.output
    db.session.expire_all()
    failures = dict(db.session.execute(select(Contact.email, Contact.failure)).all())
    assert failures["ann@example.nhs.uk"].startswith("550")
    assert failures["cat@example.nhs.uk"] is None
    retry = db.session.scalars(select(Message).where(Message.status == "pending")).one()
    assert retry.not_before > utcnow()
    del smtp_server.handler.refuse["cat@example.nhs.uk"]
    db.session.execute(update(Message).values(not_before=utcnow()))
    db.session.commit()
    assert "messages: 1 sent" in runner.invoke(args=["jobs", "run-due"]).output
    assert len(smtp_server.to("cat@example.nhs.uk")) == 1
    assert not smtp_server.to("ann@example.nhs.uk")


def test_no_reminder_after_close_and_contacts_are_deleted_with_counts_kept(
    runner, client, db, tmp_path, smtp_server
) -> None:
    campaign = _setup(runner, db, tmp_path)
    runner.invoke(args=["campaigns", "send-invitations", "c"])
    _age_messages(db)
    set_window(campaign, "closed", publish=False)
    db.session.commit()
    smtp_server.clear()
    assert runner.invoke(args=["campaigns", "send-reminders", "c"]).output == (
        "0 reminder(s) queued, 0 message(s)\n"
    )
    out = runner.invoke(args=["jobs", "run-due"])
    assert "c: 4 contact(s) deleted" in out.output, out.output
    assert smtp_server.received == []
    assert _db.session.scalar(select(func.count()).select_from(Contact)) == 0
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "contacts.deleted")
    ).one()
    assert audit.details["counts"]["contacts"] == 4
    assert audit.details["counts"]["invitation_sent"] == 3
    # What was sent can still be counted, and the invitations still count as issued.
    assert db.session.scalar(select(func.count()).select_from(Message)) == 3
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 3


def test_contacts_of_a_campaign_that_never_closes_go_after_thirty_days(runner, db, tmp_path, app):
    campaign = _setup(runner, db, tmp_path)
    campaign.closes_at = None
    db.session.execute(
        update(Contact)
        .where(Contact.email == "ann@example.nhs.uk")
        .values(created_at=utcnow() - timedelta(days=31))
    )
    db.session.commit()
    out = runner.invoke(args=["jobs", "run-due"])
    assert "c: 1 contact(s) deleted" in out.output
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 3


def test_each_message_carries_a_message_id_from_its_key_the_same_on_every_attempt(
    runner, db, tmp_path, smtp_server, app
) -> None:
    _setup(runner, db, tmp_path)
    runner.invoke(args=["campaigns", "send-invitations", "c"])
    keys = db.session.scalars(select(Message.key)).all()
    ids = {r.message["Message-ID"] for r in smtp_server.received}
    assert ids == {message_id(key, app.config["SMTP_FROM"]) for key in keys}
    assert len(ids) == 3
    # A second attempt (whose first went through but whose 250 was lost) carries the same
    # Message-ID, whenever it is made and whatever else changed, so the receiving system
    # can drop it; another key, another id.
    transport = SmtpTransport(smtp_server.url, "assessor <noreply@assessor.nhs.example>")
    first = Outgoing(1, "17:invitation:email", "invitation", "email", "a@x.org", "S", "B", "o")
    later = replace(first, message_id=2, body="Another body", subject="Another subject")
    other = replace(first, key="17:reminder1:email")

    def parsed(item: Outgoing) -> email.message.EmailMessage:
        data = transport.message_bytes(item)
        return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]

    header = parsed(first)["Message-ID"]
    assert header == parsed(later)["Message-ID"] == "<17.invitation.email@assessor.nhs.example>"
    assert header.defects == ()
    assert parsed(other)["Message-ID"] != header
    assert message_id("1:a/b", "x@y.org") == "<1.a=2Fb@y.org>"
    assert message_id("1:a.b", "x@y.org") != message_id("1:a:b", "x@y.org")


def test_a_new_contact_that_reuses_a_deleted_contacts_id_is_still_queued(runner, db, tmp_path):
    """SQLite hands the ids of deleted rows out again: message keys come from each contact's
    random seed, so the messages kept after a campaign's contacts are deleted never collide
    with a later contact's."""
    first = _setup(runner, db, tmp_path)
    assert outbox.queue_invitations(first, ("email", "sms")).messages == 5
    old_ids = set(db.session.scalars(select(Contact.id)))
    assert outbox.delete_contacts(first, "closed") == 4
    db.session.commit()
    second = make_campaign("d", access="invitation")
    db.session.commit()
    path = tmp_path / "more.csv"
    path.write_text(PEOPLE)
    assert runner.invoke(args=["contacts", "import", "d", str(path)]).exit_code == 0
    if db.session.get_bind().dialect.name == "sqlite":
        assert set(db.session.scalars(select(Contact.id))) & old_ids  # the case in point
    assert outbox.queue_invitations(second, ("email", "sms")).messages == 5
    db.session.commit()
    keys = list(db.session.scalars(select(Message.key)))
    assert len(keys) == len(set(keys)) == 10
    assert not any(key.split(":")[0].isdigit() for key in keys)
