"""Cell statistics (kept current on every submission), and the frozen snapshots readers see.

`CellStat`: one row per (campaign, organisation, audience, basis, measure). `basis` is
`full` (every scored item of the campaign's own version), `now_comparable` (this campaign's
respondents on the items comparable with its previous campaign) or `before_comparable` (the
previous campaign's respondents, as at its latest publication, on those same items).
`measure` is `overall` or a domain key. Rows are created with the campaign, so a submission
only ever increments rows of its own cell.

`CellDetail`: the counts behind the rung and answer profiles (scoring.md s.3), one row per
(campaign, organisation, audience, key) with key `rung:<domain>:<rung>` (n = respondents
whose attainment is defined, a = those meeting the rung) or `item:<link_id>` (n = shown,
a = "don't know", b = "does not happen here", c = answered with a value, total = sum of the
contributions value / 4).

`Publication`: a frozen snapshot of every number of a campaign's results (scoring.md s.6);
`ResultsPreview`: the administrators' preview of an open campaign, shared by every worker.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base, UTCDateTime

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


class CellDetail(Base):
    __tablename__ = "cell_detail"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"), primary_key=True)
    audience: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    a: Mapped[int] = mapped_column(Integer, default=0)
    b: Mapped[int] = mapped_column(Integer, default=0)
    c: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)


class Publication(Base):
    """Publication `number` of a campaign. `made_at` is internal (which voids came after it);
    readers see only `published_on`, a date about the campaign, never about a respondent."""

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    number: Mapped[int] = mapped_column(Integer)
    published_on: Mapped[date] = mapped_column(Date)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(500))
    organisations_revised: Mapped[int] = mapped_column(Integer, default=0)
    #: The snapshot readers read; `refs` holds what only the next publication needs (each
    #: count as at the last publication that showed it), kept apart so reads never load it.
    data: Mapped[bytes] = mapped_column(LargeBinary)
    refs: Mapped[bytes] = mapped_column(LargeBinary)


class PublicationRow(Base):
    """One organisation's numbers in a publication, so that reading one organisation or a
    page of them never loads the rest (models.results.Publication holds the head)."""

    __tablename__ = "publication_row"

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True
    )
    org_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ResultsPreview(Base):
    __tablename__ = "results_preview"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[bytes] = mapped_column(LargeBinary)
