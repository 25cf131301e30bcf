"""The typed results a reader is given (`reading.ResultsView`), built only for what was
asked; the API's marshmallow schemas dump them, templates and figures render them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from assessor.models import Publication


@dataclass(frozen=True)
class PublicationRef:
    number: int
    published_on: date
    reason: str | None

    @classmethod
    def of(cls, row: Publication) -> PublicationRef:
        return cls(row.number, row.published_on, row.reason)


@dataclass(frozen=True)
class Scoring:
    questionnaire: str
    version: int
    rules: str
    min_respondents: int
    groups: str
    computed_at: str


@dataclass(frozen=True)
class OrgRef:
    code: str
    name: str
    region: str
    peer_group: str


@dataclass(frozen=True)
class Measure:
    score: float | None
    level: int | None
    level_key: str | None
    n: int | None
    ci95: list[float] | None
    suppressed: bool
    reason: str | None
    percentile: dict[str, float | None]
    funnel: dict[str, str | None]
    #: shown, but resting on fewer than 10 respondents (combined: either cell).
    imprecise: bool = False


@dataclass(frozen=True, kw_only=True)
class Difference:
    """A difference tested at 95%: its interval and whether that excludes no change, or
    why it is withheld."""

    ci95: list[float] | None
    significant: bool | None
    suppressed: bool
    reason: str | None
    #: the interval reached -R or R and was cut there; None when withheld.
    clipped: bool | None = None


@dataclass(frozen=True, kw_only=True)
class GapMeasure(Difference):
    staff_minus_patient_leader: float | None


@dataclass(frozen=True, kw_only=True)
class TrendMeasure(Difference):
    before: float | None
    now: float | None
    delta: float | None


@dataclass(frozen=True)
class Gap:
    overall: GapMeasure
    domains: dict[str, GapMeasure]
    reason: str | None


@dataclass(frozen=True)
class Trend:
    previous: str | None
    comparable_fraction: float | None
    comparable_domains: list[str]
    reason: str | None
    overall: TrendMeasure
    domains: dict[str, TrendMeasure]


@dataclass(frozen=True)
class RungShare:
    met_share: float | None
    n: int | None
    suppressed: bool
    reason: str | None


@dataclass(frozen=True)
class ItemShare:
    dont_know: float | None
    not_happening: float | None
    n: int | None
    suppressed: bool
    reason: str | None


@dataclass(frozen=True)
class OrgResult:
    organisation: OrgRef
    audience: str
    preview: bool
    #: None where withheld as "fewer than k" (an unpublished campaign's day-old counts).
    responses: dict[str, int | None]
    response_rate: dict[str, float | None]
    responses_as_of: date | None
    scoring: Scoring
    publication: PublicationRef | None
    overall: Measure
    domains: dict[str, Measure]
    gap: Gap
    trend: Trend
    #: {audience: {"rungs": {domain: {rung: RungShare}}, "items": {link_id: ItemShare}}}; asked
    #: for one organisation at a time.
    profiles: dict[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class PrincipleResult:
    """An organisation's results on one principle or criterion: per audience, the mean of
    the mapped items' mean contributions (0..1, agreement as a share of the scale), over the
    items answered by at least k; combined weighs staff and patient leaders equally."""

    key: str
    framework: str
    label: str
    items: tuple[str, ...]
    values: dict[str, float | None]
    items_shown: dict[str, int]
    reasons: dict[str, str | None]
    #: the combined figure's national median and this organisation's percentile rank among
    #: the organisations whose figure is shown (None when its own is not, or while hidden).
    national_median: float | None = None
    national_percentile: float | None = None
    national_n: int | None = None


@dataclass(frozen=True)
class GroupStats:
    n_orgs: int | None
    n_suppressed: int | None
    mean: float | None
    median: float | None
    q1: float | None
    q3: float | None
    min: float | None
    max: float | None
    levels: dict[str, int | None]
    funnel: dict[str, float | None]


@dataclass(frozen=True)
class GroupResult:
    group: dict[str, str]
    audience: str
    preview: bool
    reason: str | None
    scoring: Scoring
    publication: PublicationRef | None
    overall: GroupStats
    domains: dict[str, GroupStats]


@dataclass(frozen=True)
class CampaignSummary:
    organisations: int
    #: None: "fewer than k" (a day-old total, see `summary`).
    staff: int | None
    patient_leader: int | None
    publication: PublicationRef | None
    #: Set when the counts are day-old totals of the counts shown (not yet published).
    as_of: date | None = None
