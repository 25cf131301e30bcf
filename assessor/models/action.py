"""Action plans: what an organisation promises after a campaign's publication, the patient
leaders' co-signatures of it, and their verdict on it in the next campaign.

Nothing here identifies a patient leader: a co-sign link records only that it was used
(no time, nothing of the person), a co-signature keeps only its day, and a verdict answer
hangs off an anonymous response like every other answer.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base, UTCDateTime, utcnow

ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")
HAPPENED = ("done", "partly", "not", "dont_know")
DIFFERENCE = ("yes", "some", "no", "dont_know")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


class Action(Base):
    """One action of an organisation's plan after a campaign."""

    __tablename__ = "action"
    __table_args__ = (
        _one_of("status", ACTION_STATUSES, "status"),
        Index("ix_action_campaign_org", "campaign_id", "org_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    domain: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanVersion(Base):
    """A numbered version of an organisation's plan, with the day it opened. Changing the
    plan's promise once it has a co-signature opens the next one, so earlier co-signatures
    stay counted, as such, for the version they were given on."""

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("campaign_id", "org_code", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    number: Mapped[int] = mapped_column(Integer)
    #: The plan's promise (`operations.plan_digest`) when last changed within this version.
    plan_digest: Mapped[str] = mapped_column(String(64))
    opened_on: Mapped[date] = mapped_column(Date)


class CosignLink(Base):
    """A single-use link asking a patient leader to co-sign a plan. It keeps the version
    (and digest) of the plan it was made for, so that its page can say the plan changed."""

    __tablename__ = "cosign_link"
    __table_args__ = (Index("ix_cosign_link_campaign_org", "campaign_id", "org_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    plan_digest: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Only whether it was used: no time, so it cannot be matched with a co-signature.
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class Cosign(Base):
    """One patient leader's answer on a plan: agree or not, and an optional comment that
    only the board reads. Not linked to the link that carried it."""

    __tablename__ = "cosign"
    __table_args__ = (Index("ix_cosign_campaign_org", "campaign_id", "org_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    plan_digest: Mapped[str] = mapped_column(String(64))
    #: The number of the plan version it was given on.
    version: Mapped[int] = mapped_column(Integer, default=1)
    agrees: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    given_on: Mapped[date] = mapped_column(Date)


class VerdictAnswer(Base):
    """A patient leader's verdict, in the next campaign, on one action of last round's plan.
    Kept outside the response's answers so that it can never enter a score; counted only
    while its response is submitted."""

    __tablename__ = "verdict_answer"
    __table_args__ = (
        _one_of("happened", HAPPENED, "happened"),
        _one_of("difference", DIFFERENCE, "difference"),
        Index("ix_verdict_answer_action_id", "action_id"),
    )

    response_seq: Mapped[int] = mapped_column(
        ForeignKey("response.seq", ondelete="CASCADE"), primary_key=True
    )
    action_id: Mapped[int] = mapped_column(
        ForeignKey("action.id", ondelete="CASCADE"), primary_key=True
    )
    happened: Mapped[str | None] = mapped_column(String(20))
    difference: Mapped[str | None] = mapped_column(String(20))
