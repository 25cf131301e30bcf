"""Campaigns and the organisations recorded in them.

A campaign's status is derived from its dates rather than stored, so that a campaign closes
on time without a job having to run: scheduled before `opens_at` (or while it has none),
open until `closes_at`, closed from then on. `assessor campaigns open|close` set the dates.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessor.models.base import Base, UTCDateTime, utcnow
from assessor.models.organisation import Organisation
from assessor.models.questionnaire import QuestionnaireVersion

ACCESS_MODES = ("open", "invitation")
AUDIENCES = ("staff", "patient_leader")


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))
    min_respondents: Mapped[int] = mapped_column(Integer)
    access: Mapped[str] = mapped_column(String(20), default="invitation")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questionnaire: Mapped[QuestionnaireVersion] = relationship()
    previous: Mapped[Campaign | None] = relationship(remote_side=[id])
    members: Mapped[list[CampaignOrganisation]] = relationship(
        back_populates="campaign", order_by="CampaignOrganisation.org_code"
    )

    def status_at(self, now: datetime | None = None) -> str:
        now = now or utcnow()
        if self.opens_at is None or now < self.opens_at:
            return "scheduled"
        if self.closes_at is not None and now >= self.closes_at:
            return "closed"
        return "open"

    @property
    def status(self) -> str:
        return self.status_at()


class CampaignOrganisation(Base):
    """An organisation as it stood when the campaign was created: later reorganisations of
    regions or peer groups never move a published result into another group."""

    __tablename__ = "campaign_organisation"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"), primary_key=True)
    region: Mapped[str] = mapped_column(String(100))
    peer_group: Mapped[str] = mapped_column(String(100))
    eligible_staff: Mapped[int | None] = mapped_column(Integer)
    eligible_patient_leader: Mapped[int | None] = mapped_column(Integer)

    campaign: Mapped[Campaign] = relationship(back_populates="members")
    organisation: Mapped[Organisation] = relationship()
