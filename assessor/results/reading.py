"""Who sees which numbers.

`read(campaign, admin)` decides: a closed campaign is read from its latest publication by
everyone; an open or scheduled one is a preview for administrators and response counts
only for everyone else. The view builds the typed results (`records.py`) only for what a
reader asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import func, select

from assessor.disclosure import (
    AWAITING_PUBLICATION,
    CAMPAIGN_OPEN,
    FEWER_THAN_K,
    REASONS,
    k_of,
    open_counts,
)
from assessor.extensions import db
from assessor.models import Campaign, CampaignOrganisation, Cell, Publication
from assessor.models.campaign import AUDIENCES
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.results import publications
from assessor.results.counts import day_old
from assessor.results.principles import national
from assessor.results.records import (
    CampaignSummary,
    Gap,
    GapMeasure,
    GroupResult,
    GroupStats,
    ItemShare,
    Measure,
    OrgRef,
    OrgResult,
    PrincipleResult,
    PublicationRef,
    RungShare,
    Scoring,
    Trend,
    TrendMeasure,
)
from assessor.results.snapshot import (
    BANDS,
    GROUP_BYS,
    GROUP_FIELDS,
    FunnelInputs,
    Snapshot,
)
from assessor.scoring.engine import level_of

REASON_BELOW = REASONS.index("below_minimum")
REASON_REVISED = REASONS.index("revision_below_minimum")
#: One organisation's per-organisation arrays (snapshot.Snapshot.row).
Row = dict[str, np.ndarray]
GROUPS_TEXT = (
    "national: every organisation in the campaign; region and peer_group: as recorded for"
    " each organisation when the campaign was created"
)


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _count(n: Any) -> int | None:
    """A response count, None when withheld as "fewer than k" (disclosure.open_counts)."""
    return None if int(n) == FEWER_THAN_K else int(n)


def _interval(lo: Any, hi: Any) -> list[float] | None:
    lo, hi = _num(lo), _num(hi)
    return None if lo is None or hi is None else [lo, hi]


def _withheld(o: Row, audience: str, column_of: Any) -> int:
    """Why none of a principle's items shows its mean: a revision when any item's count was
    withheld under the differencing rule (`item.*.mean_reason`, absent from publications
    made before it was kept), else too few answered."""
    reasons = o.get(f"item.{audience}.mean_reason")
    if reasons is not None and (np.asarray(reasons)[column_of] == REASON_REVISED).any():
        return REASON_REVISED
    return REASON_BELOW


def _shown_difference(o: Row, prefix: str, j: int) -> dict[str, Any]:
    """The interval and significance of a gap or trend measure (`Difference`) shown."""
    return {
        "ci95": _interval(o[f"{prefix}.lo"][j], o[f"{prefix}.hi"][j]),
        "significant": bool(o[f"{prefix}.sig"][j]),
        "suppressed": False,
        "reason": None,
        # absent from publications made under rule set 1, which never clipped
        "clipped": bool(o[f"{prefix}.clipped"][j]) if f"{prefix}.clipped" in o else False,
    }


def _withheld_difference(reason: str) -> dict[str, Any]:
    return {"ci95": None, "significant": None, "suppressed": True, "reason": reason}


@dataclass
class ResultsView:
    """One campaign's results as one reader may see them."""

    campaign: Campaign
    q: Questionnaire
    snapshot: Snapshot
    hidden: bool
    preview: bool
    publication: PublicationRef | None
    #: Why scores are withheld from this reader when `hidden`.
    hidden_reason: str = CAMPAIGN_OPEN
    #: The day whose end the counts are as at (a non-administrator's view of an unpublished
    #: campaign), None when they are final or live; a count below k is then None.
    counts_as_of: date | None = None

    # --------------------------------------------------------------- shared parts

    @property
    def measures(self) -> list[str]:
        return self.snapshot.measures

    @property
    def scoring(self) -> Scoring:
        meta = self.snapshot.meta
        return Scoring(
            meta["questionnaire"],
            meta["version"],
            meta["rules"],
            meta["min_respondents"],
            GROUPS_TEXT,
            meta["computed_at"],
        )

    def _by_measure(self, build: Any) -> tuple[Any, dict[str, Any]]:
        return build(0), {key: build(j + 1) for j, key in enumerate(self.measures[1:])}

    # --------------------------------------------------------------- one organisation

    def org_ref(self, i: int) -> OrgRef:
        s = self.snapshot
        return OrgRef(
            s.field("orgs", i),
            s.field("names", i),
            s.field("regions", i),
            s.field("peer_groups", i),
        )

    def _code(self, code: int) -> str | None:
        """The reason a value is withheld from this reader, or None when it is shown."""
        return self.hidden_reason if self.hidden else REASONS[int(code)]

    def levels(self, audience: str, o: Row) -> np.ndarray:
        """The level of each measure's score in one organisation's row (-1 without one),
        worked out for the row at once rather than measure by measure."""
        return level_of(o[f"{audience}.value"], len(self.q.rungs))

    def measure(self, audience: str, o: Row, j: int, levels: np.ndarray) -> Measure:
        code = self._code(o[f"{audience}.reason"][j])
        if code is not None:
            return Measure(
                None,
                None,
                None,
                None,
                None,
                True,
                code,
                dict.fromkeys(GROUP_BYS),
                dict.fromkeys(GROUP_BYS),
            )
        score = _num(o[f"{audience}.value"][j])
        level = None if score is None else int(levels[j])
        level_key = None if level is None else self.q.level_key(level)
        return Measure(
            score=score,
            level=level,
            level_key=level_key,
            n=int(o[f"{audience}.n"][j]),
            ci95=_interval(o[f"{audience}.lo"][j], o[f"{audience}.hi"][j]),
            suppressed=False,
            reason=None,
            percentile={g: _num(o[f"{audience}.pct"][b, j]) for b, g in enumerate(GROUP_BYS)},
            funnel={g: BANDS[int(o[f"{audience}.band"][b, j])] for b, g in enumerate(GROUP_BYS)},
            imprecise=bool(o[f"{audience}.imprecise"][j])
            if f"{audience}.imprecise" in o
            else False,
        )

    def gap_measure(self, o: Row, j: int) -> GapMeasure:
        code = self._code(o["gap.reason"][j])
        if code is not None:
            return GapMeasure(staff_minus_patient_leader=None, **_withheld_difference(code))
        return GapMeasure(
            staff_minus_patient_leader=_num(o["gap.value"][j]),
            **_shown_difference(o, "gap", j),
        )

    def trend_measure(self, audience: str, o: Row, j: int) -> TrendMeasure:
        p = f"trend.{audience}"
        code = self._code(o[f"{p}.reason"][j])
        if code is not None:
            return TrendMeasure(before=None, now=None, delta=None, **_withheld_difference(code))
        return TrendMeasure(
            before=_num(o[f"{p}.before"][j]),
            now=_num(o[f"{p}.now"][j]),
            delta=_num(o[f"{p}.delta"][j]),
            **_shown_difference(o, p, j),
        )

    def _all_reason(self, overall: Any, domains: dict[str, Any]) -> str | None:
        """A gap's or trend's own reason: set only when none of its measures is shown."""
        measures = [overall, *domains.values()]
        return overall.reason if all(m.suppressed for m in measures) else None

    def result(
        self, i: int, audience: str, profiles: bool = False, row: Row | None = None
    ) -> OrgResult:
        s = self.snapshot
        o = row if row is not None else s.row(i)
        levels = self.levels(audience, o)
        overall, domains = self._by_measure(lambda j: self.measure(audience, o, j, levels))
        gap_overall, gap_domains = self._by_measure(lambda j: self.gap_measure(o, j))
        trend_overall, trend_domains = self._by_measure(
            lambda j: self.trend_measure(audience, o, j)
        )
        meta = s.meta
        trend_reason = self.hidden_reason if self.hidden else meta["trend_reason"]
        if trend_reason is None:
            trend_reason = self._all_reason(trend_overall, trend_domains)
        return OrgResult(
            organisation=self.org_ref(i),
            audience=audience,
            preview=self.preview,
            responses={a: _count(s["responses"][i, b]) for b, a in enumerate(AUDIENCES)},
            response_rate={a: _num(s["rate"][i, b]) for b, a in enumerate(AUDIENCES)},
            responses_as_of=self.counts_as_of,
            scoring=self.scoring,
            publication=self.publication,
            overall=overall,
            domains=domains,
            gap=Gap(
                gap_overall,
                gap_domains,
                self.hidden_reason if self.hidden else self._all_reason(gap_overall, gap_domains),
            ),
            trend=Trend(
                previous=meta["previous"],
                comparable_fraction=meta["comparable_fraction"],
                comparable_domains=meta["comparable_domains"],
                reason=trend_reason,
                overall=trend_overall,
                domains=trend_domains,
            ),
            profiles=self.profiles(o) if profiles else None,
        )

    def profiles(self, o: Row) -> dict[str, dict[str, Any]]:
        meta = self.snapshot.meta
        body: dict[str, dict[str, Any]] = {}
        for a in AUDIENCES:
            rungs: dict[str, dict[str, RungShare]] = {}
            for d, domain in enumerate(meta["domains"]):
                rungs[domain] = {}
                for r, rung in enumerate(meta["rungs"]):
                    code = self._code(o[f"rung.{a}.reason"][d, r])
                    shown = code is None
                    rungs[domain][rung] = RungShare(
                        _num(o[f"rung.{a}.share"][d, r]) if shown else None,
                        int(o[f"rung.{a}.n"][d, r]) if shown else None,
                        not shown,
                        code,
                    )
            items: dict[str, ItemShare] = {}
            for m, link_id in enumerate(meta["items"]):
                code = self._code(o[f"item.{a}.reason"][m])
                shown = code is None
                items[link_id] = ItemShare(
                    _num(o[f"item.{a}.dont_know"][m]) if shown else None,
                    _num(o[f"item.{a}.not_happening"][m]) if shown else None,
                    int(o[f"item.{a}.n"][m]) if shown else None,
                    not shown,
                    code,
                )
            body[a] = {"rungs": rungs, "items": items}
        return body

    def principles(self, code: str) -> list[PrincipleResult] | None:
        """The organisation's results by principle and by IAF criterion (questionnaire
        version 3 on; an empty list before), for its annual report."""
        i = self.snapshot.index(code)
        if i is None:
            return None
        o = self.snapshot.row(i)
        column = {link_id: m for m, link_id in enumerate(self.snapshot.meta["items"])}
        by_principle = self.q.items_by_principle()
        found = []
        for p in self.q.principles:
            mapped = by_principle[p.key]
            values: dict[str, float | None] = {}
            shown: dict[str, int] = {}
            reasons: dict[str, str | None] = {}
            for a in AUDIENCES:
                means = np.array([o[f"item.{a}.mean"][column[link]] for link in mapped])
                kept = means[:0] if self.hidden else means[~np.isnan(means)]
                shown[a] = int(kept.size)
                values[a] = float(kept.mean()) if kept.size else None
                reasons[a] = (
                    self._code(0)
                    if kept.size
                    else self._code(_withheld(o, a, [column[link] for link in mapped]))
                )
            if values["staff"] is not None and values["patient_leader"] is not None:
                values["combined"] = (values["staff"] + values["patient_leader"]) / 2
                reasons["combined"] = None
            elif self.hidden:
                values["combined"], reasons["combined"] = None, self.hidden_reason
            else:
                values["combined"] = None
                reasons["combined"] = (
                    "patient_leader_below_minimum"
                    if values["patient_leader"] is None
                    else "staff_below_minimum"
                )
            median = percentile = n_orgs = None
            if not self.hidden and mapped:
                nat = national(self.snapshot, [column[link] for link in mapped])
                median, n_orgs = nat.median, nat.n_orgs
                if values["combined"] is not None:
                    percentile = _num(nat.percentile[i])
            found.append(
                PrincipleResult(
                    p.key,
                    p.framework,
                    p.label,
                    mapped,
                    values,
                    shown,
                    reasons,
                    national_median=median,
                    national_percentile=percentile,
                    national_n=n_orgs,
                )
            )
        return found

    def for_org(
        self, code: str, audience: str = "combined", profiles: bool = False
    ) -> OrgResult | None:
        i = self.snapshot.index(code)
        return None if i is None else self.result(i, audience, profiles)

    def page(
        self,
        audience: str,
        *,
        region: str | None = None,
        peer_group: str | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> tuple[list[OrgResult], int, bool]:
        """A page of organisations in code order: (results, total matching, more after)."""
        chosen, total = self.snapshot.select(
            region=region,
            peer_group=peer_group,
            after=after,
            limit=None if limit is None else limit + 1,
        )
        more = limit is not None and len(chosen) > limit
        chosen = [int(i) for i in (chosen[:limit] if limit is not None else chosen)]
        rows = self.snapshot.rows(chosen)
        return (
            [self.result(i, audience, row=o) for i, o in zip(chosen, rows, strict=True)],
            total,
            more,
        )

    # --------------------------------------------------------------- groups

    def group_stats(self, audience: str, by: str, g: int, j: int) -> GroupStats:
        s = self.snapshot
        n_rungs = len(self.q.rungs)
        if self.hidden:
            return GroupStats(
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                {str(x): None for x in range(n_rungs + 1)},
                {"target": None, "phi": None, "tau2": None},
            )
        stats = s[f"grp.{audience}.{by}.stats"][g, j]
        values = {f: _num(v) for f, v in zip(GROUP_FIELDS, stats, strict=True)}
        levels = s[f"grp.{audience}.{by}.levels"][g, j]
        funnel = s[f"grp.{audience}.{by}.funnel"][g, j]
        return GroupStats(
            n_orgs=int(stats[0]),
            n_suppressed=int(stats[1]),
            mean=values["mean"],
            median=values["median"],
            q1=values["q1"],
            q3=values["q3"],
            min=values["min"],
            max=values["max"],
            levels={str(x): int(levels[x]) for x in range(n_rungs + 1)},
            funnel={"target": _num(funnel[0]), "phi": _num(funnel[1]), "tau2": _num(funnel[2])},
        )

    def benchmarks(self, audience: str, by: str) -> list[GroupResult]:
        return [self.group(audience, by, label) for label in self.snapshot.labels(by)]

    def group(self, audience: str, by: str, value: str) -> GroupResult | None:
        g = self.snapshot.group_position(by, value)
        if g is None:
            return None
        overall, domains = self._by_measure(lambda j: self.group_stats(audience, by, g, j))
        return GroupResult(
            group={"by": by, "value": value},
            audience=audience,
            preview=self.preview,
            reason=self.hidden_reason if self.hidden else None,
            scoring=self.scoring,
            publication=self.publication,
            overall=overall,
            domains=domains,
        )

    # --------------------------------------------------------------- whole matrices

    def matrix(self, audience: str, measure: str) -> dict[str, np.ndarray] | None:
        """Every organisation's value of one measure (None while scores are hidden)."""
        return None if self.hidden else self.snapshot.matrix(audience, measure)

    def funnel(self, audience: str, measure: str, by: str, value: str) -> FunnelInputs | None:
        return None if self.hidden else self.snapshot.funnel(audience, measure, by, value)

    def response_totals(self) -> dict[str, int]:
        """Totals of the counts shown (a withheld count adds nothing)."""
        counts = self.snapshot["responses"]
        totals = np.where(counts == FEWER_THAN_K, 0, counts).sum(axis=0)
        return {a: int(totals[b]) for b, a in enumerate(AUDIENCES)}


def summary(campaign: Campaign, admin: bool = False) -> CampaignSummary:
    """Organisations and response counts of a campaign, as a list of campaigns shows them:
    from the responses array of its latest publication (not the whole head), or, before one
    exists, live from `submitted_counts` for administrators and, for everyone else, the
    day-old counts of the organisations whose counts are shown (results.counts; a total of
    every count would give away the withheld ones by subtraction)."""
    publication = _latest_published(campaign)
    if publication is not None:
        responses = publications.responses_of(publication)
        totals = responses.sum(axis=0)
        return CampaignSummary(
            len(responses), int(totals[0]), int(totals[1]), PublicationRef.of(publication)
        )
    members = db.session.scalar(
        select(func.count())
        .select_from(CampaignOrganisation)
        .where(CampaignOrganisation.campaign_id == campaign.id)
    )
    if admin:
        counts = submitted_counts(campaign)
        return CampaignSummary(int(members or 0), counts["staff"], counts["patient_leader"], None)
    as_of, _, day, _ = day_old(campaign)
    totals = open_counts(np.where(day == FEWER_THAN_K, 0, day).sum(axis=0), k_of(campaign))
    staff, leaders = (_count(t) for t in totals)
    return CampaignSummary(int(members or 0), staff, leaders, None, as_of)


def submitted_counts(campaign: Campaign) -> dict[str, int]:
    """Submitted responses by audience of a campaign not yet published, summed from its
    cells in SQL. The one read of a list of campaigns that grows with its organisations (a
    row per organisation and audience); the only place it reads the cells."""
    counts = dict(
        db.session.execute(
            select(Cell.audience, func.sum(Cell.responses))
            .where(Cell.campaign_id == campaign.id)
            .group_by(Cell.audience)
        ).all()
    )
    return {audience: int(counts.get(audience) or 0) for audience in AUDIENCES}


def read(campaign: Campaign, admin: bool = False, number: int | None = None) -> ResultsView:
    """The campaign's results as this reader may see them (scoring.md s.6): its latest
    publication, or publication `number` (a paging cursor pins the one its first page saw)."""
    q = definition_of(campaign.questionnaire)
    publication = _latest_published(campaign)
    if number is not None and publication is not None and number != publication.number:
        publication = publications.numbered(campaign, number) or publication
    if publication is not None:
        return ResultsView(
            campaign,
            q,
            publications.snapshot_of(publication),
            hidden=False,
            preview=False,
            publication=PublicationRef.of(publication),
        )
    shared = publications.preview(campaign)
    return ResultsView(
        campaign,
        q,
        shared if admin else _with_day_old_counts(campaign, shared),
        hidden=not admin,
        counts_as_of=None if admin else day_old(campaign)[0],
        preview=admin,
        publication=None,
        hidden_reason=AWAITING_PUBLICATION if campaign.status == "closed" else CAMPAIGN_OPEN,
    )


def _with_day_old_counts(campaign: Campaign, preview: Snapshot) -> Snapshot:
    """The preview as a non-administrator may read it: no score (the view hides them) and
    its live counts replaced by yesterday's, below k withheld (results.counts)."""
    _, codes, counts, rates = day_old(campaign)
    position = {code: i for i, code in enumerate(codes)}
    order = [position[code] for code in preview.orgs]
    arrays = {**preview.arrays, "responses": counts[order], "rate": rates[order]}
    return Snapshot(preview.meta, arrays)


def _latest_published(campaign: Campaign) -> Publication | None:
    """The campaign's latest publication; a read never makes one (design.md: publications
    are made by closing a campaign and by `assessor jobs run-due`)."""
    return publications.latest(campaign) if campaign.status == "closed" else None


def is_published(campaign: Campaign) -> bool:
    return _latest_published(campaign) is not None


def awaiting_publication(campaign: Campaign) -> bool:
    """Closed by its date, but `jobs run-due` has not published it yet."""
    return campaign.status == "closed" and _latest_published(campaign) is None
