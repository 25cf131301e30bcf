"""Cell statistics -> a snapshot: every score, interval, gap, trend, profile, percentile, funnel
band and group statistic of a campaign, in O(organisations), never from raw answers.

Given the snapshot it revises, the differencing rule of scoring.md s.6 applies: a measure
shown before, from which 1..k-1 responses have left since the last snapshot that showed it,
is suppressed (`revision_below_minimum`) with everything derived from it. Each snapshot
keeps, per count, the count as at the last snapshot that showed it (`ref.*`), so that the
next one can tell.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy import select

from assessor import benchmarking
from assessor.disclosure import REASON_CODE, differenced, imprecise, trend_baseline
from assessor.extensions import db
from assessor.models import (
    Campaign,
    CampaignOrganisation,
    Cell,
    Organisation,
)
from assessor.models.base import utcnow
from assessor.models.campaign import AUDIENCES
from assessor.models.results import BASES
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.results.cells import shapes_of, unpack
from assessor.results.denominators import denominators
from assessor.results.scores import measures_of, trend_context
from assessor.results.snapshot import (
    BAND_CODE,
    GROUP_BYS,
    GROUP_FIELDS,
    NATIONAL,
    RESULT_AUDIENCES,
    Snapshot,
)

#: The rule set of scoring.md new publications are computed with; publications made under
#: rule set 1 keep their numbers (they are frozen snapshots).
RULES = "2"
BELOW = REASON_CODE["below_minimum"]
REVISED = REASON_CODE["revision_below_minimum"]
PL_BELOW = REASON_CODE["patient_leader_below_minimum"]
STAFF_BELOW = REASON_CODE["staff_below_minimum"]


def _masked(cells: benchmarking.CellSummary, shown: np.ndarray) -> benchmarking.CellSummary:
    nan = np.nan
    return replace(
        cells,
        mean=np.where(shown, cells.mean, nan),
        sd=np.where(shown, cells.sd, nan),
        se=np.where(shown, cells.se, nan),
        ci_low=np.where(shown, cells.ci_low, nan),
        ci_high=np.where(shown, cells.ci_high, nan),
        shown=shown,
    )


def _pair_reason(staff: np.ndarray, patient: np.ndarray) -> np.ndarray:
    """Reason of a value derived from both cells: patient leaders' first; a cell withheld by
    the differencing rule passes that reason on."""
    reason = np.zeros(staff.shape, dtype=np.int8)
    reason[staff != 0] = np.where(staff[staff != 0] == REVISED, REVISED, STAFF_BELOW)
    reason[patient != 0] = np.where(patient[patient != 0] == REVISED, REVISED, PL_BELOW)
    return reason


def _load(campaign: Campaign, q: Questionnaire) -> dict[str, Any]:
    members = db.session.execute(
        select(
            CampaignOrganisation.org_code,
            CampaignOrganisation.region,
            CampaignOrganisation.peer_group,
            CampaignOrganisation.eligible_staff,
            CampaignOrganisation.eligible_patient_leader,
        )
        .where(CampaignOrganisation.campaign_id == campaign.id)
        .order_by(CampaignOrganisation.org_code)
    ).all()
    names = dict(
        db.session.execute(
            select(Organisation.code, Organisation.name)
            .join(CampaignOrganisation, CampaignOrganisation.org_code == Organisation.code)
            .where(CampaignOrganisation.campaign_id == campaign.id)
        ).all()
    )
    index = {m.org_code: i for i, m in enumerate(members)}
    measures = measures_of(q)
    n_orgs, n_measures = len(members), len(measures)
    stats = {
        (basis, a): [
            np.zeros((n_orgs, n_measures), dtype=np.int64),
            np.zeros((n_orgs, n_measures)),
            np.zeros((n_orgs, n_measures)),
        ]
        for basis in BASES
        for a in AUDIENCES
    }
    responses = np.zeros((n_orgs, 2), dtype=np.int64)
    stat_shape, detail_shape = shapes_of(q)
    details = {a: np.zeros((n_orgs, *detail_shape)) for a in AUDIENCES}
    rows = db.session.execute(
        select(Cell.org_code, Cell.audience, Cell.responses, Cell.stats, Cell.details).where(
            Cell.campaign_id == campaign.id
        )
    ).all()
    # One row per cell holds its arrays: join each audience's blobs and view them at once.
    for col, a in enumerate(AUDIENCES):
        mine = [r for r in rows if r.audience == a and r.org_code in index]
        if not mine:
            continue
        i = np.fromiter((index[r.org_code] for r in mine), np.int64, len(mine))
        responses[i, col] = [r.responses for r in mine]
        cell_stats = unpack(b"".join(r.stats for r in mine), (len(mine), *stat_shape))
        for b, basis in enumerate(BASES):
            slot = stats[(basis, a)]
            for part in range(3):
                slot[part][i] = cell_stats[:, b, :, part]
        details[a][i] = unpack(b"".join(r.details for r in mine), (len(mine), *detail_shape))
    eligible = denominators(
        campaign.id,
        [m.org_code for m in members],
        np.array([[m.eligible_staff or 0, m.eligible_patient_leader or 0] for m in members]),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(eligible > 0, responses / np.maximum(eligible, 1), np.nan)
    return {
        "codes": [m.org_code for m in members],
        "names": [names.get(m.org_code, m.org_code) for m in members],
        "regions": [m.region for m in members],
        "peer_groups": [m.peer_group for m in members],
        "stats": stats,
        "responses": responses,
        "rate": rate,
        "details": details,
    }


def compute(
    campaign: Campaign, previous: Snapshot | None = None, baseline: Snapshot | None = None
) -> Snapshot:
    """The campaign's snapshot now, differenced against `previous` (its latest publication)
    when given; `baseline` is the previous campaign's latest publication, which decides
    which trends may be shown at all."""
    q = definition_of(campaign.questionnaire)
    k = campaign.min_respondents
    loaded = _load(campaign, q)
    stats = loaded["stats"]
    arrays: dict[str, np.ndarray] = {
        "responses": loaded["responses"],
        "rate": loaded["rate"],
    }

    def ref(name: str) -> np.ndarray | None:
        return previous.arrays.get(f"ref.{name}") if previous is not None else None

    cell_reason = _cells(k, stats, arrays, ref, len(q.rungs))
    trend_meta = _trend(
        campaign, q, k, stats, cell_reason, arrays, ref, (loaded["codes"], baseline)
    )
    _profiles(q, k, loaded["details"], arrays, ref)
    groups = _groups(loaded, arrays)
    for audience in RESULT_AUDIENCES:
        _benchmarks(audience, arrays, stats, groups, len(q.rungs))
    meta = {**_meta(campaign, q, loaded, groups), **trend_meta}
    # Counts fit in 32 bits; halving them keeps a national snapshot quick to load.
    narrow = {k: v.astype(np.int32) if v.dtype == np.int64 else v for k, v in arrays.items()}
    return Snapshot(meta, narrow)


def _cells(
    k: int,
    stats: dict[tuple[str, str], list[np.ndarray]],
    arrays: dict[str, np.ndarray],
    ref: Any,
    n_rungs: int,
) -> dict[str, np.ndarray]:
    """Each audience's cells, the combined rating and the gap into `arrays`; returns each
    audience's reason codes."""
    cells: dict[str, benchmarking.CellSummary] = {}
    cell_reason: dict[str, np.ndarray] = {}
    for a in AUDIENCES:
        n, total, total_sq = stats[("full", a)]
        shown, reason, arrays[f"ref.full.{a}"] = differenced(n, k, ref(f"full.{a}"))
        cells[a] = _masked(benchmarking.summarise_cells(n, total, total_sq, k, n_rungs), shown)
        cell_reason[a] = reason
        arrays[f"{a}.value"] = cells[a].mean
        arrays[f"{a}.n"] = cells[a].n
        arrays[f"{a}.lo"] = cells[a].ci_low
        arrays[f"{a}.hi"] = cells[a].ci_high
        arrays[f"{a}.se"] = cells[a].se
        arrays[f"{a}.reason"] = reason
        arrays[f"{a}.imprecise"] = imprecise(shown, cells[a].n)

    pair_reason = _pair_reason(cell_reason["staff"], cell_reason["patient_leader"])
    combined = benchmarking.combine(cells["staff"], cells["patient_leader"], n_rungs)
    arrays["combined.value"] = combined.value
    arrays["combined.n"] = cells["staff"].n + cells["patient_leader"].n
    arrays["combined.lo"] = combined.ci_low
    arrays["combined.hi"] = combined.ci_high
    arrays["combined.se"] = combined.se
    arrays["combined.reason"] = pair_reason
    fewest = np.minimum(cells["staff"].n, cells["patient_leader"].n)
    arrays["combined.imprecise"] = imprecise(combined.shown, fewest)
    gaps = benchmarking.gap(cells["staff"], cells["patient_leader"], n_rungs)
    arrays["gap.value"] = gaps.value
    arrays["gap.lo"] = gaps.ci_low
    arrays["gap.hi"] = gaps.ci_high
    arrays["gap.sig"] = gaps.significant
    arrays["gap.clipped"] = gaps.clipped
    arrays["gap.reason"] = pair_reason
    return cell_reason


def _groups(loaded: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """Each grouping's sorted labels; each organisation's group position into `arrays`."""
    groups: dict[str, list[str]] = {}
    for by, labels in (
        ("national", [NATIONAL] * len(loaded["codes"])),
        ("region", loaded["regions"]),
        ("peer_group", loaded["peer_groups"]),
    ):
        uniques = sorted(set(labels))
        position = {label: g for g, label in enumerate(uniques)}
        groups[by] = uniques
        arrays[f"gid.{by}"] = np.array([position[x] for x in labels], dtype=np.int32)
    return groups


def _meta(
    campaign: Campaign, q: Questionnaire, loaded: dict[str, Any], groups: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "slug": campaign.slug,
        "questionnaire": q.key,
        "version": q.version,
        "rules": RULES,
        "min_respondents": campaign.min_respondents,
        "computed_at": utcnow().isoformat(timespec="seconds").replace("+00:00", "Z"),
        "measures": measures_of(q),
        "domains": list(q.domain_keys),
        "rungs": list(q.rung_keys),
        "items": [item.link_id for item in q.scored_items],
        "orgs": loaded["codes"],
        "names": loaded["names"],
        "regions": loaded["regions"],
        "peer_groups": loaded["peer_groups"],
        "groups": groups,
        "previous": campaign.previous.slug if campaign.previous else None,
    }


def _trend(
    campaign: Campaign,
    q: Questionnaire,
    k: int,
    stats: dict[tuple[str, str], list[np.ndarray]],
    cell_reason: dict[str, np.ndarray],
    arrays: dict[str, np.ndarray],
    ref: Any,
    baseline: tuple[list[str], Snapshot | None],
) -> dict[str, Any]:
    measures = measures_of(q)
    shape = (len(arrays["responses"]), len(measures))
    context = trend_context(campaign)
    n_rungs = len(q.rungs)
    if context is None or not context.comparability.trend_possible:
        reason = "no_previous" if context is None else "not_comparable"
        for audience in RESULT_AUDIENCES:
            for name in ("before", "now", "delta", "lo", "hi"):
                arrays[f"trend.{audience}.{name}"] = np.full(shape, np.nan)
            arrays[f"trend.{audience}.sig"] = np.zeros(shape, dtype=bool)
            arrays[f"trend.{audience}.clipped"] = np.zeros(shape, dtype=bool)
            arrays[f"trend.{audience}.reason"] = np.full(shape, REASON_CODE[reason], np.int8)
        comp = context.comparability if context is not None else None
        return {
            "trend_reason": reason,
            "comparable_fraction": comp.comparable_fraction if comp else None,
            "comparable_domains": list(comp.comparable_domains) if comp else [],
        }
    comp = context.comparability
    # Overall is trended only when every domain is (scoring.md s.5).
    not_comparable = np.array(
        [not comp.overall_trended] + [key not in comp.comparable_domains for key in q.domain_keys]
    )
    now: dict[str, benchmarking.CellSummary] = {}
    before: dict[str, benchmarking.CellSummary] = {}
    withheld: dict[str, np.ndarray] = {}
    for a in AUDIENCES:
        reasons = []
        for basis, target in (("now_comparable", now), ("before_comparable", before)):
            n, total, total_sq = stats[(basis, a)]
            name = f"{'now' if basis == 'now_comparable' else 'before'}.{a}"
            shown, reason, arrays[f"ref.{name}"] = differenced(n, k, ref(name))
            target[a] = _masked(benchmarking.summarise_cells(n, total, total_sq, k, n_rungs), shown)
            reasons.append(reason)
        revised = (reasons[0] == REVISED) | (reasons[1] == REVISED) | (cell_reason[a] == REVISED)
        withheld[a] = revised
    deltas: dict[str, benchmarking.Comparison] = {
        a: benchmarking.delta(now[a], before[a], n_rungs) for a in AUDIENCES
    }
    combined_now = benchmarking.combine(now["staff"], now["patient_leader"], n_rungs)
    combined_before = benchmarking.combine(before["staff"], before["patient_leader"], n_rungs)
    deltas["combined"] = benchmarking.delta_combined(combined_now, combined_before, n_rungs)
    withheld["combined"] = withheld["staff"] | withheld["patient_leader"]
    allowed = _baseline_codes(*baseline, measures)
    for audience in RESULT_AUDIENCES:
        d = deltas[audience]
        hide = withheld[audience]
        from_baseline = allowed[audience]
        shown = d.shown & ~hide & (from_baseline == 0) & ~not_comparable[None, :]
        reason = np.where(d.shown, 0, BELOW).astype(np.int8)
        reason[hide] = REVISED
        reason = np.where(from_baseline != 0, from_baseline, reason).astype(np.int8)
        reason[:, not_comparable] = REASON_CODE["not_comparable"]
        if audience == "combined":
            b, n_ = combined_before.value, combined_now.value
        else:
            b, n_ = before[audience].mean, now[audience].mean
        arrays[f"trend.{audience}.before"] = np.where(shown, b, np.nan)
        arrays[f"trend.{audience}.now"] = np.where(shown, n_, np.nan)
        arrays[f"trend.{audience}.delta"] = np.where(shown, d.value, np.nan)
        arrays[f"trend.{audience}.lo"] = np.where(shown, d.ci_low, np.nan)
        arrays[f"trend.{audience}.hi"] = np.where(shown, d.ci_high, np.nan)
        arrays[f"trend.{audience}.sig"] = d.significant & shown
        arrays[f"trend.{audience}.clipped"] = d.clipped & shown
        arrays[f"trend.{audience}.reason"] = np.where(shown, 0, reason).astype(np.int8)
    return {
        "trend_reason": None,
        "comparable_fraction": comp.comparable_fraction,
        "comparable_domains": list(comp.comparable_domains),
    }


def _baseline_codes(
    codes: list[str], baseline: Snapshot | None, measures: list[str]
) -> dict[str, np.ndarray]:
    """The previous campaign's latest publication's reason codes for each cell measure,
    aligned to this campaign's organisations and measures (an organisation or measure it
    did not publish counts as withheld below the minimum), as disclosure's trend baseline."""
    shape = (len(codes), len(measures))
    if baseline is None:
        zero = np.zeros(shape, dtype=np.int8)
        return trend_baseline(zero, zero)
    baseline = baseline.complete()
    found = [baseline.index(code) for code in codes]
    rows = np.array([-1 if r is None else r for r in found], dtype=np.int64)
    cols = np.array(
        [baseline.measures.index(m) if m in baseline.measures else -1 for m in measures]
    )
    present = (rows >= 0)[:, None] & (cols >= 0)[None, :]
    aligned: dict[str, np.ndarray] = {}
    for a in AUDIENCES:
        source = baseline[f"{a}.reason"][np.maximum(rows, 0)][:, np.maximum(cols, 0)]
        aligned[a] = np.where(present, source, BELOW).astype(np.int8)
    return trend_baseline(aligned["staff"], aligned["patient_leader"])


def _profiles(
    q: Questionnaire,
    k: int,
    details: dict[str, np.ndarray],
    arrays: dict[str, np.ndarray],
    ref: Any,
) -> None:
    """Rung and answer profiles (scoring.md s.3), each share shown when its denominator
    reaches k (and the differencing rule allows)."""
    n_rung = len(q.domain_keys) * len(q.rung_keys)
    shape = (len(q.domain_keys), len(q.rung_keys))
    for a in AUDIENCES:
        d = details[a]
        n_orgs = d.shape[0]
        rung_n = d[:, :n_rung, 0].astype(np.int64)
        shown, reason, arrays[f"ref.rung.{a}"] = differenced(rung_n, k, ref(f"rung.{a}"))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(shown, d[:, :n_rung, 1] / np.maximum(rung_n, 1), np.nan)
        arrays[f"rung.{a}.share"] = share.reshape(n_orgs, *shape)
        arrays[f"rung.{a}.n"] = rung_n.reshape(n_orgs, *shape)
        arrays[f"rung.{a}.reason"] = reason.reshape(n_orgs, *shape)
        items = d[:, n_rung:]
        item_n = items[:, :, 0].astype(np.int64)
        shown, reason, arrays[f"ref.item.{a}"] = differenced(item_n, k, ref(f"item.{a}"))
        safe = np.maximum(item_n, 1)
        arrays[f"item.{a}.dont_know"] = np.where(shown, items[:, :, 1] / safe, np.nan)
        arrays[f"item.{a}.not_happening"] = np.where(shown, items[:, :, 2] / safe, np.nan)
        arrays[f"item.{a}.n"] = item_n
        arrays[f"item.{a}.reason"] = reason
        # An item's mean rests on those who answered it, not on those shown it: its own
        # count passes the rule, so voids of "don't know" answers cannot be differenced.
        answered = items[:, :, 3].astype(np.int64)
        answered_shown, answered_reason, arrays[f"ref.answered.{a}"] = differenced(
            answered, k, ref(f"answered.{a}")
        )
        mean_shown = shown & answered_shown
        arrays[f"item.{a}.answered"] = np.where(mean_shown, answered, 0)
        arrays[f"item.{a}.mean_reason"] = np.where(shown, answered_reason, reason).astype(np.int8)
        arrays[f"item.{a}.mean"] = np.where(
            mean_shown, items[:, :, 4] / np.maximum(answered, 1), np.nan
        )


def _benchmarks(
    audience: str,
    arrays: dict[str, np.ndarray],
    stats: dict[tuple[str, str], list[np.ndarray]],
    groups: dict[str, list[str]],
    n_rungs: int,
) -> None:
    values = arrays[f"{audience}.value"]
    shown = arrays[f"{audience}.reason"] == 0
    n_orgs, n_measures = values.shape
    pct = np.full((n_orgs, len(GROUP_BYS), n_measures), np.nan)
    band = np.zeros((n_orgs, len(GROUP_BYS), n_measures), dtype=np.int8)
    for b, by in enumerate(GROUP_BYS):
        gid = arrays[f"gid.{by}"]
        labels = groups[by]
        group_stats = np.full((len(labels), n_measures, 8), np.nan)
        levels = np.zeros((len(labels), n_measures, n_rungs + 1), dtype=np.int64)
        funnel = np.full((len(labels), n_measures, 4), np.nan)
        for j in range(n_measures):
            pct[:, b, j] = benchmarking.percentile_ranks(values[:, j], shown[:, j], gid)
        for g in range(len(labels)):
            idx = np.flatnonzero(gid == g)
            for j in range(n_measures):
                body = benchmarking.group_statistics(values[idx, j], shown[idx, j], n_rungs)
                group_stats[g, j] = [np.nan if body[f] is None else body[f] for f in GROUP_FIELDS]
                levels[g, j] = [body["levels"][str(x)] for x in range(n_rungs + 1)]
                if audience == "combined":
                    f = benchmarking.funnel_from_values(
                        values[idx, j], arrays["combined.se"][idx, j], shown[idx, j]
                    )
                    sigma = np.nan
                else:
                    n, total, total_sq = (s[idx, j] for s in stats[("full", audience)])
                    f = benchmarking.funnel_from_cells(n, total, total_sq, shown[idx, j])
                    keep = shown[idx, j]
                    pooled = float(n[keep].sum())
                    sigma = (
                        float(
                            np.sqrt(
                                benchmarking.sample_variance(
                                    np.array(pooled),
                                    np.array(total[keep].sum()),
                                    np.array(total_sq[keep].sum()),
                                )
                            )
                        )
                        if pooled
                        else np.nan
                    )
                funnel[g, j] = [
                    np.nan if x is None else x for x in (f.target, f.phi, f.tau2, sigma)
                ]
                band[idx, b, j] = [BAND_CODE[x] for x in f.bands]
        arrays[f"grp.{audience}.{by}.stats"] = group_stats
        arrays[f"grp.{audience}.{by}.levels"] = levels
        arrays[f"grp.{audience}.{by}.funnel"] = funnel
    arrays[f"{audience}.pct"] = pct
    arrays[f"{audience}.band"] = band
