"""Cell sufficient statistics, kept current on every submission so that reading results
never rescans raw answers.

One row per (campaign, organisation, audience, basis, measure). `basis` is `full` (every
scored item of the campaign's own version), `now_comparable` (this campaign's respondents on
the items comparable with its previous campaign) or `before_comparable` (the previous
campaign's respondents on those same items). `measure` is `overall` or a domain key.
Rows are created when the campaign is created, so a submission only ever increments.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base

BASES = ("full", "now_comparable", "before_comparable")


class CellStat(Base):
    __tablename__ = "cell_stat"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"), primary_key=True)
    audience: Mapped[str] = mapped_column(String(20), primary_key=True)
    basis: Mapped[str] = mapped_column(String(20), primary_key=True)
    measure: Mapped[str] = mapped_column(String(100), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    total_sq: Mapped[float] = mapped_column(Float, default=0.0)
