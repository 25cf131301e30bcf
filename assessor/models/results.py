"""Cell statistics (kept current on every submission), and the frozen snapshots readers see.

`Cell`: one row per (campaign, organisation, audience), created with the campaign so that a
submission only ever updates its own cell's row. `responses` counts its submitted responses;
`stats` and `details` are little-endian float64 arrays (counts are exact in float64):

- `stats`, shape (3, M, 3): per basis (BASES), per measure (`overall`, then the campaign's
  domains in questionnaire order), the n, sum and sum of squares of respondent scores.
  `full` is every scored item of the campaign's own version, `now_comparable` this
  campaign's respondents on the items comparable with its previous campaign, and
  `before_comparable` the previous campaign's respondents (as at its latest publication) on
  those same items.
- `details`, shape (K, 5): the counts behind the rung and answer profiles (scoring.md s.3),
  per key `rung:<domain>:<rung>` (n = respondents whose attainment is defined, a = those
  meeting the rung) then `item:<link_id>` (n = shown, a = "don't know", b = "does not happen
  here", c = answered with a value, total = sum of the contributions value / 4), in the
  order of `results.scores.detail_keys_of`.

`Publication`: a frozen snapshot of every number of a campaign's results (scoring.md s.6);
`ResultsPreview`: the administrators' preview of an open campaign, shared by every worker.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base, UTCDateTime

BASES = ("full", "now_comparable", "before_comparable")


class Cell(Base):
    """The running statistics of one cell (campaign, organisation, audience), kept as two
    float64 arrays so that a submission reads and writes one row (see the module docstring
    for their layout)."""

    __tablename__ = "cell"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"), primary_key=True)
    audience: Mapped[str] = mapped_column(String(20), primary_key=True)
    responses: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[bytes] = mapped_column(LargeBinary)
    details: Mapped[bytes] = mapped_column(LargeBinary)


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
    #: Features' sections for this organisation, JSON {name: value} (NULL: none), so that
    #: one organisation's page reads its own part of e.g. the action plans' verdicts.
    sections: Mapped[str | None] = mapped_column(Text)


class ResultsPreview(Base):
    __tablename__ = "results_preview"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[bytes] = mapped_column(LargeBinary)
