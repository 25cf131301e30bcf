"""Sending through GOV.UK Notify: the real client against a local stand-in that checks its
token and bodies; email and SMS; back-off on 429 and 5xx; 400 recorded per contact; a
message Notify took before its worker died, or before its answer was lost, is found by
its reference and not posted again."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from assessor.campaigns import outbox
from assessor.jobs.sending import send_batch
from assessor.jobs.transports import NotifyTransport, Outgoing, transport_from
from assessor.models import Campaign, Contact, Message, utcnow
from tests.support.factories import add_orgs, make_campaign
from tests.support.notify import API_KEY, TEMPLATES

PEOPLE = (
    "org_code,audience,email,mobile\n"
    "A01,staff,ann@example.nhs.uk,\n"
    "A01,patient_leader,bob@example.org,07700 900123\n"
    "A01,patient_leader,,07700 900999\n"
)


def _setup(runner, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"))
    make_campaign("c", access="invitation")
    db.session.commit()
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE)
    assert runner.invoke(args=["contacts", "import", "c", str(path)]).exit_code == 0


def test_email_and_sms_go_through_notify_with_templates_and_references(
    runner, db, tmp_path, notify_server
) -> None:
    _setup(runner, db, tmp_path)
    notify_server.script = [429, 503, 500]  # each retried after a pause
    out = runner.invoke(args=["campaigns", "send-invitations", "c"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        "3 invitation(s) queued, 4 message(s)",
        "messages: 4 sent, 0 failed, 0 to retry, 0 not sent",
    ]
    assert [status for status, _ in notify_server.refused] == [429, 503, 500]
    got = {
        (a["channel"], a.get("email_address") or a["phone_number"]): a
        for a in notify_server.accepted
    }
    assert sorted(got) == [
        ("email", "ann@example.nhs.uk"),
        ("email", "bob@example.org"),
        ("sms", "+447700900123"),
        ("sms", "+447700900999"),
    ]
    sms = got[("sms", "+447700900999")]
    assert sms["template_id"] == TEMPLATES["sms_invitation"]
    assert "/i/" in sms["personalisation"]["body"] and "/o/" in sms["personalisation"]["body"]
    email = got[("email", "bob@example.org")]
    assert email["template_id"] == TEMPLATES["email_invitation"]
    assert email["personalisation"]["subject"] == "NHS A01 would like your views"
    assert email["one_click_unsubscribe_url"] == email["personalisation"]["optout_link"]
    keys = db.session.scalars(select(Message.key)).all()
    assert sorted(a["reference"] for a in notify_server.accepted) == sorted(keys)
    # Bob's email and text carry the same single-use link.
    assert (
        email["personalisation"]["link"] in got[("sms", "+447700900123")]["personalisation"]["body"]
    )


def test_a_refused_address_is_recorded_and_nothing_more_is_sent_to_it(
    runner, db, tmp_path, notify_server
) -> None:
    _setup(runner, db, tmp_path)
    notify_server.invalid.add("ann@example.nhs.uk")
    out = runner.invoke(args=["campaigns", "send-invitations", "c"])
    assert "messages: 3 sent, 1 failed, 0 to retry, 0 not sent" in out.output
    db.session.expire_all()
    ann = db.session.scalars(select(Contact).where(Contact.email == "ann@example.nhs.uk")).one()
    assert ann.failure.startswith("400")
    assert db.session.scalar(select(Message.status).where(Message.contact_id == ann.id)) == "failed"


def test_a_server_that_keeps_failing_leaves_the_message_to_retry_later(
    runner, db, tmp_path, notify_server
) -> None:
    _setup(runner, db, tmp_path)
    notify_server.script = [500] * 5  # more than the client's retries for the first message
    out = runner.invoke(args=["campaigns", "send-invitations", "c"])
    assert "messages: 3 sent, 0 failed, 1 to retry, 0 not sent" in out.output
    pending = db.session.scalars(select(Message).where(Message.status == "pending")).one()
    assert pending.error.startswith("500") and pending.not_before is not None


def test_sending_is_paced_under_the_rate_limit(notify_server, app) -> None:
    transport = NotifyTransport(
        API_KEY, TEMPLATES, base_url=app.config["NOTIFY_URL"], per_minute=600
    )
    items = [
        Outgoing(i, f"k{i}", "invitation", "email", f"p{i}@example.org", "s", "b", "http://o")
        for i in range(6)
    ]
    started = time.monotonic()
    sent: list[int] = []
    assert transport.send(items, sent.extend) == {}
    # 600 a minute is one every 0.1 s: six take at least 0.5 s.
    assert time.monotonic() - started >= 0.5
    assert sent == list(range(6))


@pytest.mark.parametrize("status", [403])
def test_a_wrong_key_stops_the_job_rather_than_failing_every_contact(
    runner, db, tmp_path, notify_server, app, monkeypatch, status
) -> None:
    _setup(runner, db, tmp_path)
    monkeypatch.setitem(app.config, "NOTIFY_API_KEY", API_KEY[:-4] + "0000")
    out = runner.invoke(args=["campaigns", "send-invitations", "c"])
    assert out.exit_code != 0
    db.session.expire_all()
    assert db.session.scalar(select(Contact.failure).where(Contact.failure.is_not(None))) is None
    assert {s for s, _ in notify_server.refused} == {status}
    # The batch is given back at once, to go when the key is put right.
    assert set(db.session.scalars(select(Message.status))) == {"pending"}


class _Killed(BaseException):
    """A worker's end: not an Exception, so nothing in the job tidies up after it."""


def test_a_message_notify_took_before_its_worker_died_is_not_posted_again(
    runner, db, tmp_path, notify_server, app
) -> None:
    _setup(runner, db, tmp_path)
    outbox.queue_invitations(db.session.scalars(select(Campaign)).one(), ("email", "sms"))
    db.session.commit()
    transport = transport_from(app.config)
    post_and_send = transport.send

    def killed_before_the_commit(ids: list[int]) -> None:
        raise _Killed

    # Notify takes the batch's first message; the worker dies before marking it sent.
    transport.send = lambda batch, commit_sent: post_and_send(batch, killed_before_the_commit)  # type: ignore[method-assign]
    with pytest.raises(_Killed):
        send_batch(transport, None, 50)
    db.session.rollback()
    assert len(notify_server.accepted) == 1
    assert set(db.session.scalars(select(Message.status))) == {"claimed"}
    assert notify_server.lookups == []  # first sends look nothing up
    # CLAIM_SECONDS later the dead worker's claims are stale, and taken again.
    db.session.execute(update(Message).values(claimed_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    out = runner.invoke(args=["jobs", "run-due"])
    assert "messages: 4 sent, 0 failed, 0 to retry, 0 not sent" in out.output, out.output
    keys = sorted(db.session.scalars(select(Message.key)))
    # Every row taken again was looked up first; the message Notify had was not posted
    # again, and the three it had never seen were posted once each.
    assert sorted(notify_server.lookups) == keys
    assert sorted(a["reference"] for a in notify_server.accepted) == keys
    db.session.expire_all()
    assert set(db.session.scalars(select(Message.status))) == {"sent"}
    assert set(db.session.scalars(select(Message.attempts))) == {2}


def test_a_message_whose_answer_was_lost_is_looked_up_not_posted_again(
    runner, db, tmp_path, notify_server
) -> None:
    _setup(runner, db, tmp_path)
    notify_server.lose_answers = 1  # the first message is kept, but answered 500
    out = runner.invoke(args=["campaigns", "send-invitations", "c"])
    assert "messages: 4 sent, 0 failed, 0 to retry, 0 not sent" in out.output, out.output
    keys = sorted(db.session.scalars(select(Message.key)))
    assert sorted(a["reference"] for a in notify_server.accepted) == keys
    # Only the message whose answer was lost was looked up, once, before its retry.
    assert len(notify_server.lookups) == 1 and notify_server.lookups[0] in keys
