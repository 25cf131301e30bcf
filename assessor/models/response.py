"""Responses and invitations.

Nothing here identifies a respondent: the public id is random, no name, address or client
detail is kept, and an invitation records only that it was used, never which response it
produced.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessor.models.base import Base, UTCDateTime, utcnow

RESPONSE_STATES = ("in_progress", "submitted", "voided")


def new_response_id() -> str:
    return secrets.token_hex(16)


class Response(Base):
    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("campaign_id", "submission_id"),
        Index("ix_response_campaign_seq", "campaign_id", "seq"),
        Index("ix_response_campaign_updated", "campaign_id", "updated_at"),
        # Covers the counts by cell (verdict tallies at publication) without reading the
        # wide rows that hold answers.
        Index("ix_response_campaign_cell", "campaign_id", "status", "audience", "org_code", "seq"),
    )

    #: Internal order of creation, for stable paging; never shown.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True, default=new_response_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    audience: Mapped[str] = mapped_column(String(20))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: in_progress | submitted | voided
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    #: Client-chosen idempotency key (API submissions); unique within a campaign.
    submission_id: Mapped[str | None] = mapped_column(String(100))
    #: sha256 of the canonical JSON of the submitted body, to tell a replay from a conflict.
    body_digest: Mapped[str | None] = mapped_column(String(64))
    resume_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The invitation an in-progress response was started from, so that only one response
    #: per invitation can be submitted; cleared at submission, like the resume token.
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(500))
    #: The number of the campaign's latest publication when this response was voided (0:
    #: none yet), so that what each publication counted is known without any time of day.
    voided_after: Mapped[int | None] = mapped_column(Integer)

    score_row: Mapped[RespondentScore | None] = relationship(
        back_populates="response", cascade="all, delete-orphan", uselist=False
    )

    @property
    def scores(self) -> dict[str, Any] | None:
        """Respondent scores by basis ("full", "now_comparable"):
        {"overall": x, "domains": {key: x}}."""
        return self.score_row.scores if self.score_row is not None else None

    @scores.setter
    def scores(self, value: dict[str, Any]) -> None:
        if self.score_row is None:
            self.score_row = RespondentScore(scores=value)
        else:
            self.score_row.scores = value


class RespondentScore(Base):
    """A response's scores, derived from its answers. Kept apart from the response row so
    that a rebuild rewrites narrow rows, never the answers."""

    __tablename__ = "respondent_score"

    response_seq: Mapped[int] = mapped_column(
        ForeignKey("response.seq", ondelete="CASCADE"), primary_key=True
    )
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)

    response: Mapped[Response] = relationship(back_populates="score_row")


class Invitation(Base):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    audience: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
