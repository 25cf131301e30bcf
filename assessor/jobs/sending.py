"""The sending job: claim a batch of message rows, send it, mark what was sent.

A claim is committed before anything is sent and names the worker's claim, so two workers
never send the same row; a claim older than CLAIM_SECONDS belonged to a worker that died
and is taken again. Rows are marked sent as the transport hands each message over for
good (jobs/transports.py), so a retried batch sends only what was not handed over.
Temporary failures wait with back-off; permanent ones stop every later message to the
contact and are counted.

What can still go twice, or not at all:

- GOV.UK Notify. A worker killed after Notify accepted a message but before its row was
  marked sent leaves the row claimed. The row is taken again once its claim is stale, and
  a row claimed before (attempts > 1) is first looked up at Notify by its reference, the
  message's key: if Notify holds it, the row is marked sent and nothing is posted. So is a
  message retried after a 5xx or no answer. Only such rows pay for the lookup.
- SMTP. Each message's DATA goes without its final dot, the rows are marked sent, and
  then the dots are written: a worker killed before that commit leaves messages the server
  discards, to be sent again; one killed in the microseconds between the commit and the
  dots leaves a message marked sent that was not (at most once). SMTP has no lookup, so
  the one remaining at-least-once gap is a message whose dot the server accepted but whose
  250 never reached the worker (the connection dropped or timed out after the server had
  taken it): it is recorded as a temporary failure and sent again. Every message carries a
  Message-ID derived from its key (jobs/transports.py, `message_id`), the same on every
  attempt, so a receiving system can drop the second copy.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, update

from assessor.campaigns.contacts import contact_token
from assessor.campaigns.invitations import DEFAULT_BASE_URL
from assessor.campaigns.messages import email_text, sms_text
from assessor.extensions import db
from assessor.jobs.transports import PERMANENT, Failure, Outgoing, Transport, transport_from
from assessor.models import Campaign, Contact, Invitation, Message, Organisation, utcnow
from assessor.web.metrics import MESSAGES

#: A message that failed this many times for passing reasons is given up on.
MAX_ATTEMPTS = 8


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0

    def add(self, other: SendReport) -> None:
        for name in ("sent", "failed", "retrying", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def claim_batch(campaign_id: int | None, size: int) -> tuple[str, list[Any]]:
    """Claim up to `size` sendable rows (committed): first any a dead worker left claimed,
    then pending ones whose back-off has passed; read them back with what their messages
    need."""
    now = utcnow()
    claim = secrets.token_hex(8)
    stale = now - timedelta(seconds=float(current_app.config.get("CLAIM_SECONDS", 300)))
    postgres = db.session.get_bind().dialect.name == "postgresql"
    taken = 0
    for free in (
        and_(Message.status == "claimed", Message.claimed_at < stale),
        and_(
            Message.status == "pending",
            or_(Message.not_before.is_(None), Message.not_before <= now),
        ),
    ):
        # No ORDER BY: the index on status hands over the first rows it holds.
        chosen = select(Message.id).where(free).limit(size - taken)
        if campaign_id is not None:
            chosen = chosen.where(Message.campaign_id == campaign_id)
        if postgres:
            chosen = chosen.with_for_update(skip_locked=True)
        # The ids first, then the update: as a subquery PostgreSQL may run it again for
        # each row and, skipping the rows it has just locked, claim more than `size`.
        ids = list(db.session.scalars(chosen))
        if not ids:
            continue
        taken += db.session.execute(
            update(Message)
            .where(Message.id.in_(ids), free)
            .values(status="claimed", claim=claim, claimed_at=now, attempts=Message.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken >= size:
            break
    db.session.commit()
    rows = db.session.execute(
        select(Message, Contact, Campaign, Organisation.name, Invitation.used_at)
        .join(Campaign, Campaign.id == Message.campaign_id)
        .join(Organisation, Organisation.code == Message.org_code)
        .outerjoin(Contact, Contact.id == Message.contact_id)
        .outerjoin(Invitation, Invitation.id == Contact.invitation_id)
        .where(Message.claim == claim)
        .order_by(Message.id)
    ).all()
    return claim, list(rows)


def _why_not(message: Message, contact: Contact | None, campaign: Campaign, used: Any) -> str:
    if contact is None:
        return "contact deleted"
    if contact.opted_out_at is not None:
        return "opted out"
    if contact.failure is not None:
        return "address failed"
    if campaign.status != "open" and not (
        message.kind == "invitation" and campaign.status == "scheduled"
    ):
        return f"campaign {campaign.status}"
    if message.kind == "reminder" and used is not None:
        return "already answered"
    return ""


def _outgoing(message: Message, contact: Contact, campaign: Campaign, org: str) -> Outgoing:
    base = str(current_app.config.get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    link = f"{base}/i/{contact_token(contact.seed, 'invitation')}"
    optout = f"{base}/o/{contact_token(contact.seed, 'optout')}"
    text = email_text(message.kind, org, contact.audience, campaign.closes_at, link, optout)
    if message.channel == "sms":
        body = sms_text(message.kind, org, campaign.closes_at, link, optout)
    else:
        body = text.body
    return Outgoing(
        message_id=message.id,
        key=message.key,
        kind=message.kind,
        channel=message.channel,
        to=contact.email if message.channel == "email" else contact.mobile,  # type: ignore[arg-type]
        subject=text.subject,
        body=body,
        optout=optout,
        fields={"organisation": org, "link": link, "optout_link": optout},
        # Its first claim is attempt 1: any later one may follow a send that went through.
        claimed_before=message.attempts > 1,
    )


def _mark(claim: str, ids: list[int], **values: Any) -> None:
    if ids:
        db.session.execute(
            update(Message)
            .where(Message.claim == claim, Message.id.in_(ids))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def _record_failures(claim: str, rows: dict[int, Any], failures: dict[int, Failure]) -> None:
    now = utcnow()
    for message_id, failure in failures.items():
        message, contact = rows[message_id][0], rows[message_id][1]
        permanent = failure.kind == PERMANENT or message.attempts >= MAX_ATTEMPTS
        values: dict[str, Any] = {"error": failure.error, "sent_at": None}
        if permanent:
            values["status"] = "failed"
            if contact is not None:
                db.session.execute(
                    update(Contact).where(Contact.id == contact.id).values(failure=failure.error)
                )
        else:
            wait = min(3600, 30 * 2 ** (message.attempts - 1))
            values.update(status="pending", not_before=now + timedelta(seconds=wait))
        _mark(claim, [message_id], **values)


def send_batch(transport: Transport, campaign_id: int | None, size: int) -> SendReport | None:
    """Claim, send and mark one batch; None when nothing was left to claim."""
    claim, rows = claim_batch(campaign_id, size)
    if not rows:
        return None
    report = SendReport()
    by_id = {row[0].id: row for row in rows}
    skipped: dict[str, list[int]] = {}
    batch = []
    for message, contact, campaign, org, used in rows:
        why = _why_not(message, contact, campaign, used)
        if why:
            skipped.setdefault(why, []).append(message.id)
        else:
            batch.append(_outgoing(message, contact, campaign, org))
    for why, ids in skipped.items():
        _mark(claim, ids, status="skipped", error=why)
        report.skipped += len(ids)

    def commit_sent(ids: list[int]) -> None:
        _mark(claim, ids, status="sent", sent_at=utcnow())

    try:
        failures = transport.send(batch, commit_sent) if batch else {}
    except Exception:
        # A wrong key or template: give the batch back at once rather than at CLAIM_SECONDS.
        db.session.rollback()
        db.session.execute(
            update(Message)
            .where(Message.claim == claim, Message.status == "claimed")
            .values(status="pending", claim=None, attempts=Message.attempts - 1)
        )
        db.session.commit()
        raise
    _record_failures(claim, by_id, failures)
    for failure_id in failures:
        if by_id[failure_id][0].attempts >= MAX_ATTEMPTS or failures[failure_id].kind == PERMANENT:
            report.failed += 1
        else:
            report.retrying += 1
    report.sent = len(batch) - len(failures)
    for item in batch:
        failure = failures.get(item.message_id)
        outcome = "sent" if failure is None else failure.kind
        MESSAGES.labels(item.kind, item.channel, outcome).inc()
    return report


def send_pending(campaign_id: int | None = None, batch_size: int = 50) -> SendReport:
    """Send every message that can be sent now (of one campaign, or of all)."""
    transport = transport_from(current_app.config)
    total = SendReport()
    try:
        while (report := send_batch(transport, campaign_id, batch_size)) is not None:
            total.add(report)
            db.session.expire_all()
    finally:
        transport.close()
        db.session.commit()
    return total
