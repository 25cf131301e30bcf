"""Queueing invitations and reminders as message rows, opting out, and deleting contacts.

Each message has a row with a unique key (contact's stem, kind, number, channel) before anything
is sent, so queueing twice queues nothing more; the rows are then claimed and sent by the
job in `jobs/sending.py`. A contact's invitation is an ordinary single-use invitation: it
records only whether it was used, never which response it produced.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, insert, select, update

from assessor.auth.tokens import hash_token
from assessor.campaigns.contacts import contact_token
from assessor.extensions import db
from assessor.models import AuditEvent, Campaign, Contact, Invitation, Message, utcnow


class OutboxError(ValueError):
    """A sending request that cannot be carried out."""


@dataclass(frozen=True)
class Queued:
    contacts: int
    messages: int
    #: Contacts this transport cannot reach (a mobile number only, and SMTP).
    unreachable: int = 0


def _addresses(contact: Contact, channels: tuple[str, ...]) -> list[str]:
    found = []
    if "email" in channels and contact.email:
        found.append("email")
    if "sms" in channels and contact.mobile:
        found.append("sms")
    return found


def message_stem(contact: Contact) -> str:
    """The start of each message key of a contact: from its random seed, not its id, since
    SQLite hands a deleted contact's id to the next one (a key would then collide with the
    old messages kept after contacts are deleted) and two deployments sending through one
    Notify service would share ids (its references must not). A digest, so the key (a
    Notify reference and, through it, a Message-ID) says nothing of the seed behind the
    contact's links."""
    return hashlib.sha256(f"message:{contact.seed}".encode()).hexdigest()[:24]


def _insert_messages(
    campaign: Campaign, contacts: list[Contact], kind: str, channels: tuple[str, ...]
) -> int:
    def number(c: Contact) -> str:
        return "" if kind == "invitation" else str(c.reminders)

    rows = [
        {
            "key": f"{message_stem(c)}:{kind}{number(c)}:{channel}",
            "campaign_id": campaign.id,
            "contact_id": c.id,
            "org_code": c.org_code,
            "audience": c.audience,
            "kind": kind,
            "channel": channel,
            "status": "pending",
            "attempts": 0,
            "created_at": utcnow(),
        }
        for c in contacts
        for channel in _addresses(c, channels)
    ]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Message), rows[start : start + 5000])
    return len(rows)


def _reachable_now(campaign: Campaign) -> list:  # type: ignore[type-arg]
    return [
        Contact.campaign_id == campaign.id,
        Contact.opted_out_at.is_(None),
        Contact.failure.is_(None),
    ]


def queue_invitations(campaign: Campaign, channels: tuple[str, ...]) -> Queued:
    """One invitation, and its messages, for every contact not yet invited (flushed)."""
    if not channels:
        raise OutboxError("set SMTP_URL or NOTIFY_API_KEY to send messages")
    if campaign.status == "closed":
        raise OutboxError(f"campaign {campaign.slug!r} is closed")
    waiting = db.session.scalars(
        select(Contact)
        .where(*_reachable_now(campaign), Contact.invitation_id.is_(None))
        .order_by(Contact.id)
    ).all()
    reachable = [c for c in waiting if _addresses(c, channels)]
    now = utcnow()
    invitations = [
        {
            "campaign_id": campaign.id,
            "org_code": c.org_code,
            "audience": c.audience,
            "token_hash": hash_token(contact_token(c.seed, "invitation")),
            "created_at": now,
        }
        for c in reachable
    ]
    ids: list[int] = []
    for start in range(0, len(invitations), 5000):
        ids += db.session.scalars(
            insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True),
            invitations[start : start + 5000],
        ).all()
    for contact, invitation_id in zip(reachable, ids, strict=True):
        contact.invitation_id = invitation_id
        contact.last_message_at = now
    db.session.flush()
    count = _insert_messages(campaign, reachable, "invitation", channels)
    db.session.flush()
    return Queued(len(reachable), count, len(waiting) - len(reachable))


def queue_reminders(
    campaign: Campaign,
    channels: tuple[str, ...],
    most: int,
    days: float,
    now: datetime | None = None,
) -> Queued:
    """A reminder to every contact whose invitation is unused, who has had fewer than `most`
    reminders, the last message at least `days` ago; none once the campaign has closed."""
    now = now or utcnow()
    if campaign.status_at(now) != "open" or not channels:
        return Queued(0, 0)
    due = db.session.scalars(
        select(Contact)
        .join(Invitation, Invitation.id == Contact.invitation_id)
        .where(
            *_reachable_now(campaign),
            Invitation.used_at.is_(None),
            Contact.reminders < most,
            Contact.last_message_at <= now - timedelta(days=days),
        )
        .order_by(Contact.id)
    ).all()
    for contact in due:
        contact.reminders += 1
        contact.last_message_at = now
    db.session.flush()
    count = _insert_messages(campaign, due, "reminder", channels)
    db.session.flush()
    return Queued(len(due), count)


def find_by_optout(token: str) -> Contact | None:
    if not token:
        return None
    return db.session.scalar(select(Contact).where(Contact.optout_hash == hash_token(token)))


def opt_out(contact: Contact) -> None:
    """Stop every later message to the contact (flushed)."""
    if contact.opted_out_at is None:
        contact.opted_out_at = utcnow()
    db.session.execute(
        update(Message)
        .where(Message.contact_id == contact.id, Message.status == "pending")
        .values(status="skipped", error="opted out")
    )
    db.session.flush()


def contact_counts(campaign: Campaign, *only: ColumnElement[bool]) -> dict[str, int]:
    """What an administrator sees of a campaign's contacts (those `only` picks) and of
    its messages."""
    counts = dict(
        db.session.execute(
            select(Message.kind + "_" + Message.status, func.count())
            .where(Message.campaign_id == campaign.id)
            .group_by(Message.kind, Message.status)
        ).all()
    )
    contacts = db.session.execute(
        select(
            func.count(),
            func.count(Contact.opted_out_at),
            func.count(Contact.failure),
            func.count(Contact.invitation_id),
        ).where(Contact.campaign_id == campaign.id, *only)
    ).one()
    counts.update(
        contacts=contacts[0], opted_out=contacts[1], failed=contacts[2], invited=contacts[3]
    )
    return counts


def delete_contacts(
    campaign: Campaign, reason: str, before: datetime | None = None, actor: str = "assessor"
) -> int:
    """Delete the campaign's contacts (those added before `before`, when given), keeping
    their counts in an audit row (flushed). Messages keep their organisation and audience,
    so what was sent can still be counted."""
    only = [] if before is None else [Contact.created_at <= before]
    counts = contact_counts(campaign, *only)
    if not counts["contacts"]:
        return 0
    chosen = select(Contact.id).where(Contact.campaign_id == campaign.id, *only)
    db.session.execute(
        update(Message)
        .where(Message.contact_id.in_(chosen), Message.status.in_(("pending", "claimed")))
        .values(status="skipped", error="contacts deleted")
    )
    db.session.execute(delete(Contact).where(Contact.campaign_id == campaign.id, *only))
    db.session.add(
        AuditEvent(
            actor=actor,
            action="contacts.deleted",
            details={"campaign": campaign.slug, "reason": reason, "counts": counts},
        )
    )
    db.session.flush()
    return counts["contacts"]


def contacts_to_delete(now: datetime, days: float) -> list[Campaign]:
    """Campaigns with contacts that must go: closed, or holding contacts older than `days`."""
    old = now - timedelta(days=days)
    closed = (Campaign.closes_at.is_not(None)) & (Campaign.closes_at <= now)
    return list(
        db.session.scalars(
            select(Campaign)
            .where(
                Campaign.id.in_(
                    select(Contact.campaign_id).where(closed | (Contact.created_at <= old))
                )
            )
            .order_by(Campaign.slug)
        )
    )
