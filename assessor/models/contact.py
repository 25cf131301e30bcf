"""Contacts (people to invite) and the messages sent to them.

A contact exists only so that the service can send: it links to the invitation it was sent
(which records only that it was used, never which response it produced) and is deleted
when the campaign closes. A message row outlives its contact with only the organisation
and audience, so counts of what was sent survive the deletion.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.action import _one_of
from assessor.models.base import Base, UTCDateTime, utcnow

MESSAGE_KINDS = ("invitation", "reminder")
CHANNELS = ("email", "sms")
#: pending: to send; claimed: a worker is sending it; sent; failed: permanently (a bad
#: address); skipped: not sent, because the contact opted out or the campaign closed.
MESSAGE_STATES = ("pending", "claimed", "sent", "failed", "skipped")


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("campaign_id", "email"),
        UniqueConstraint("campaign_id", "mobile"),
        _one_of("audience", ("staff", "patient_leader"), "audience"),
        CheckConstraint("email IS NOT NULL OR mobile IS NOT NULL", name="reachable"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    audience: Mapped[str] = mapped_column(String(20))
    #: Lower-cased address.
    email: Mapped[str | None] = mapped_column(String(320))
    #: A UK mobile number as +447xxxxxxxxx.
    mobile: Mapped[str | None] = mapped_column(String(16))
    #: Random; with SECRET_KEY it derives the contact's invitation and opt-out tokens, so a
    #: reminder can repeat the link without the link itself being stored.
    seed: Mapped[str] = mapped_column(String(32))
    optout_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), unique=True)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A permanent failure (the address does not exist), after which nothing more is sent.
    failure: Mapped[str | None] = mapped_column(String(200))
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    #: When its last message was queued: reminders wait REMINDER_DAYS from then.
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    __tablename__ = "message"
    __table_args__ = (
        # Claims find sendable rows by status, with or without a campaign, and read back
        # their own rows by claim.
        Index("ix_message_status_campaign", "status", "campaign_id"),
        _one_of("kind", MESSAGE_KINDS, "kind"),
        _one_of("channel", CHANNELS, "channel"),
        _one_of("status", MESSAGE_STATES, "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: contact, kind, number and channel: the same message is never queued twice.
    key: Mapped[str] = mapped_column(String(100), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    org_code: Mapped[str] = mapped_column(String(16))
    audience: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Temporary failures wait until then (back-off).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Which claim holds it, so a worker marks only what it claimed.
    claim: Mapped[str | None] = mapped_column(String(32), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
