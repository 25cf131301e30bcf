"""Response counts of a campaign not yet published, as anyone but an administrator may read
them (scoring.md s.6, "Counts are numbers too"): as at the end of the previous day, each
below k withheld as "fewer than k" (`disclosure.open_counts`), rates only beside a shown
count. Computed once per campaign and day in each worker: the day's counts never change
during the day, so nobody can time one person's answer by reloading a page."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select

from assessor.disclosure import FEWER_THAN_K, counts_as_of, k_of, open_counts
from assessor.extensions import db
from assessor.models import Campaign, CampaignOrganisation, Response, utcnow
from assessor.models.campaign import AUDIENCES
from assessor.results.denominators import denominators

_cache: dict[tuple[int, object, date], tuple[list[str], np.ndarray, np.ndarray]] = {}


def day_old(campaign: Campaign) -> tuple[date, list[str], np.ndarray, np.ndarray]:
    """(as of, organisation codes in code order, counts (orgs x audiences) with withheld
    ones `FEWER_THAN_K`, rates (NaN where unknown or withheld))."""
    midnight = counts_as_of(utcnow())
    key = (campaign.id, campaign.created_at, midnight.date())
    if key not in _cache:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = _compute(campaign, midnight)
    codes, counts, rates = _cache[key]
    # The day whose end the counts are as at: yesterday.
    return midnight.date() - timedelta(days=1), codes, counts, rates


def _compute(campaign: Campaign, midnight) -> tuple[list[str], np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    members = db.session.execute(
        select(
            CampaignOrganisation.org_code,
            CampaignOrganisation.eligible_staff,
            CampaignOrganisation.eligible_patient_leader,
        )
        .where(CampaignOrganisation.campaign_id == campaign.id)
        .order_by(CampaignOrganisation.org_code)
    ).all()
    codes = [m.org_code for m in members]
    index = {code: i for i, code in enumerate(codes)}
    raw = np.zeros((len(codes), len(AUDIENCES)), dtype=np.int64)
    # submitted_at keeps only the day, so "before today" is exact.
    for org_code, audience, n in db.session.execute(
        select(Response.org_code, Response.audience, func.count())
        .where(
            Response.campaign_id == campaign.id,
            Response.status == "submitted",
            Response.submitted_at < midnight,
        )
        .group_by(Response.org_code, Response.audience)
    ):
        if org_code in index and audience in AUDIENCES:
            raw[index[org_code], AUDIENCES.index(audience)] = int(n)
    counts = open_counts(raw, k_of(campaign))
    eligible = denominators(
        campaign.id,
        codes,
        np.array([[m.eligible_staff or 0, m.eligible_patient_leader or 0] for m in members]),
    ).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where((counts != FEWER_THAN_K) & (eligible > 0), counts / eligible, np.nan)
    return codes, counts, rates


def clear_cache() -> None:
    _cache.clear()
