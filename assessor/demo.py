"""The demo data set: about 200 organisations in NHS England's seven regions, four
campaigns (2023 on v2 closed; 2024 and 2025 on v3 closed, so a break in the series at 2024
and a published trend at 2025; 2026 on v3 open) and responses drawn from a model with a
hidden maturity per organisation and domain.

The model: each organisation has a latent maturity m (0..5) per domain, shifted by region
and peer group, growing a little each year. A respondent's chance of agreeing with an item
at rung r falls as r rises past m; staff see their organisation about half a rung more
favourably than patient leaders do; "don't know" is more common among patient leaders and at
higher rungs (fewer of them have seen co-assessment happen); on v3, "This does not happen
here" is chosen more often the further a rung lies above the organisation. Cell sizes (10-80
staff, 2-25 patient leaders) are log-uniform, many small and a few large, as real
organisations' are; about one organisation in eight has too few patient leaders to publish,
so suppression shows, and every other one has enough.
Responses are inserted in bulk and then scored by `results.rebuild`, the same code that
`assessor results rebuild` runs, so the demo's numbers are the engine's own.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click
import numpy as np
from flask import current_app
from sqlalchemy import func, select, text

from assessor import results
from assessor.actions.demo import DemoPlans
from assessor.auth.passwords import hash_password
from assessor.auth.tokens import hash_token
from assessor.campaigns import service as campaigns
from assessor.extensions import db
from assessor.models import (
    Campaign,
    CampaignOrganisation,
    Invitation,
    Organisation,
    Response,
    User,
    utcnow,
)
from assessor.models.response import new_response_id
from assessor.organisations.demo import PEER_GROUPS, REGIONS, build_organisations
from assessor.questionnaires.definition import AGREEMENT_OPTIONS
from assessor.questionnaires.publishing import definition_of, get_version

DEMO_PASSWORD = "patient-leaders-2026"


#: Organisations and cell sizes (staff, patient leaders: low, high) of each scale. `national`
#: is England if every provider and site joined: about 7,000 organisations and 600,000
#: responses across the three campaigns.
SCALES = {
    "pilot": {"per_place": 1, "staff": (10, 81), "patient_leader": (2, 26)},
    "national": {"per_place": 36, "staff": (8, 46), "patient_leader": (3, 21)},
}


#: About this share of organisations have a patient-leader cell below the minimum.
SMALL_PATIENT_SHARE = 0.12
#: Each campaign's cell is its size times a draw from this range (and the campaign's fill).
RESPONSE_SPREAD = (0.85, 1.15)

#: The demo's campaigns: (year, questionnaire version, days from now to its opening and to
#: its closing, share of each cell's people who answered). Each follows the year before.
CAMPAIGNS = (
    (2023, 2, -1137, -1095, 1.0),
    (2024, 3, -772, -730, 1.0),
    (2025, 3, -407, -365, 1.0),
    (2026, 3, -21, 21, 0.6),
)


@dataclass(frozen=True)
class _Population:
    """The hidden model of the organisations (see the module's docstring)."""

    base: np.ndarray
    domain_shift: np.ndarray
    growth: np.ndarray
    staff_size: np.ndarray
    patient_size: np.ndarray


def load_demo(
    seed: int = 2026,
    echo: Callable[[str], None] = print,
    organisations: int | None = None,
    scale: str = "pilot",
) -> dict[str, int]:
    """Fill an empty database; refuses one that already has organisations.

    `organisations` keeps only the first N organisations, for quick tests; `scale` is one of
    SCALES."""
    if db.session.scalar(select(func.count()).select_from(Organisation)):
        raise click.ClickException(
            "the database already has organisations; the demo loads into an empty database"
            " (make demo recreates instance/demo.db)"
        )
    v1, v2 = get_version("engagement-maturity", 1), get_version("engagement-maturity", 2)
    if v1 is None or v2 is None or get_version("engagement-maturity", 3) is None:
        raise click.ClickException("publish the questionnaires first: assessor init")
    rng = np.random.default_rng(seed)
    sizes = SCALES[scale]
    orgs = build_organisations(rng, sizes["per_place"])[:organisations]
    db.session.add_all(orgs)
    db.session.flush()
    population = _population(rng, orgs, len(definition_of(v2).domains), sizes)
    now = utcnow()
    counts: dict[str, int] = {}
    plans = DemoPlans(seed)
    for year, (first, version, opens, closes, fill) in enumerate(CAMPAIGNS):
        slug = f"{first}-assessment"
        opens_at, closes_at = now + timedelta(days=opens), now + timedelta(days=closes)
        # Creating a campaign publishes the one before it, which freezes the verdicts its
        # patient leaders gave: so each year's plans follow that publication, and the next
        # year's verdicts on them come before the next one.
        campaign = campaigns.create_campaign(
            slug,
            f"Engagement maturity {first}",
            "engagement-maturity",
            version,
            opens_at=opens_at,
            closes_at=closes_at,
            previous=f"{first - 1}-assessment" if year else None,
            access="open",
        )
        if campaign.previous is not None:
            plans.after_publication(campaign.previous)
        window = (opens_at, min(closes_at, now))
        counts[slug] = _load_responses(campaign, orgs, population, rng, year, fill, window)
        plans.after_responses(campaign)

    users = [("board@example.nhs.uk", "viewer"), ("admin@example.nhs.uk", "admin")]
    for email, role in users:
        db.session.add(User(email=email, role=role, password_hash=hash_password(DEMO_PASSWORD)))
    plans.finish(echo, DEMO_PASSWORD)
    db.session.commit()
    _refresh_planner_statistics()
    echo(
        f"Demo loaded: {len(orgs)} organisations; responses "
        + ", ".join(f"{slug} {n}" for slug, n in counts.items())
    )
    echo(f"Board login: board@example.nhs.uk / {DEMO_PASSWORD}  (admin: admin@example.nhs.uk)")
    return counts


def _population(
    rng: np.random.Generator, orgs: list[Organisation], n_domains: int, sizes: dict[str, Any]
) -> _Population:
    region_shift = {name: shift for name, (_, shift, _) in REGIONS.items()}
    peer_shift = dict(PEER_GROUPS)
    org_level = np.array([1.8 + region_shift[o.region] + peer_shift[o.peer_group] for o in orgs])
    org_level = org_level + rng.normal(0, 0.8, size=len(orgs))
    base = org_level[:, None] + rng.normal(0, 0.5, size=(len(orgs), n_domains))
    domain_shift = np.linspace(0.3, -0.4, n_domains)
    growth = rng.normal(0.25, 0.2, size=(len(orgs), 1))
    staff_size, patient_size = _cell_sizes(rng, len(orgs), sizes)
    return _Population(base, domain_shift, growth, staff_size, patient_size)


def _cell_sizes(
    rng: np.random.Generator, n: int, sizes: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Staff and patient-leader cell sizes within the scale's bounds, log-uniform as
    organisations' sizes roughly are (as many between 10 and 20 as between 40 and 80: many
    small, a few large), so that the funnel's limits, drawn against respondents, visibly
    narrow. One draw per organisation places both its cells, so a large organisation has more
    of both. A share SMALL_PATIENT_SHARE of organisations has too few patient leaders to
    publish in any campaign; every other one has at least k in every closed campaign,
    whatever its RESPONSE_SPREAD draw, the smallest of them near k."""
    k = current_app.config["MIN_RESPONDENTS"]
    place = rng.random(n)
    low, high = sizes["staff"]
    staff = np.floor(low * (high / low) ** place).astype(np.int64)
    low, high = sizes["patient_leader"]
    # round(size * spread) >= k for every spread in RESPONSE_SPREAD; < k for the small ones
    shown_from = max(low, math.floor((k - 0.5) / RESPONSE_SPREAD[0]) + 1)
    small_up_to = max(low, math.ceil((k - 0.5) / RESPONSE_SPREAD[1]) - 1)
    place = np.clip(place + rng.normal(0.0, 0.1, size=n), 0.0, 1.0 - 1e-9)
    patient = np.floor(shown_from * (high / shown_from) ** place).astype(np.int64)
    small = rng.random(n) < SMALL_PATIENT_SHARE
    patient[small] = rng.integers(low, small_up_to + 1, size=int(small.sum()))
    return staff, patient


def _load_responses(
    campaign: Campaign,
    orgs: list[Organisation],
    population: _Population,
    rng: np.random.Generator,
    year: int,
    fill: float,
    window: tuple[datetime, datetime],
) -> int:
    """Insert a campaign's responses, submitted within `window`, in bulk and score them;
    returns how many."""
    q = definition_of(campaign.questionnaire)
    p = population
    maturity = np.clip(p.base + p.domain_shift + p.growth * year, 0.0, 5.0)
    rows = []
    with click.progressbar(orgs, label=f"Responses for {campaign.slug}") as bar:
        for i, org in enumerate(bar):
            for audience, size, optimism, dont_know in (
                ("staff", p.staff_size[i], 0.5, 0.06),
                ("patient_leader", p.patient_size[i], 0.0, 0.12),
            ):
                n = int(round(size * fill * rng.uniform(*RESPONSE_SPREAD)))
                rows.extend(
                    _respondents(
                        q,
                        rng,
                        maturity[i],
                        optimism,
                        dont_know,
                        n,
                        campaign,
                        org.code,
                        audience,
                        *window,
                    )
                )
    db.session.execute(Response.__table__.insert(), rows)
    _eligible_and_invitations(campaign, rng, p.staff_size, p.patient_size, orgs)
    db.session.flush()
    with click.progressbar(length=len(rows), label=f"Scoring {campaign.slug}") as bar:
        results.rebuild(campaign, progress=bar.update)
    db.session.flush()
    return len(rows)


def _refresh_planner_statistics() -> None:
    """After a bulk load, give the query planner its statistics now rather than whenever
    autovacuum gets to it: without them PostgreSQL tallied a national campaign's verdicts
    with nested loops in 20 s instead of 0.6 s."""
    connection = db.session.connection()
    connection.execute(
        text("ANALYZE" if connection.dialect.name == "postgresql" else "PRAGMA optimize")
    )
    db.session.commit()


def _respondents(
    q, rng, maturity, optimism, dont_know, n, campaign, org_code, audience, start, end
):  # type: ignore[no-untyped-def]
    """n respondents' answers for one cell, as rows ready for a bulk insert."""
    scored = q.scored_items
    domain_index = {d: j for j, d in enumerate(q.domain_keys)}
    rung = np.array([q.rung_rank(item.rung) for item in scored])
    dom = np.array([domain_index[item.domain] for item in scored])
    keys = [key for key, _, value in AGREEMENT_OPTIONS if value is not None]
    person = rng.normal(0, 0.45, size=(n, 1))
    latent = maturity[dom][None, :] + optimism + person - rung[None, :] + 0.6
    p_agree = 1.0 / (1.0 + np.exp(-1.8 * latent))
    values = np.clip(np.rint(p_agree * 4 + rng.normal(0, 0.6, size=latent.shape)), 0, 4)
    unknown = rng.random(latent.shape) < dont_know * (0.6 + 0.2 * rung[None, :])
    # Where a rung lies well above what the respondent sees, they may know it does not happen.
    absent = np.zeros(latent.shape, dtype=bool)
    if q.not_happening:
        absent = rng.random(latent.shape) < 0.6 / (1.0 + np.exp(2.5 * (latent + 1.0)))
    span = max((end - start).total_seconds(), 1.0)
    choice_items = [item for item in q.items if item.type == "single_choice"]
    rows = []
    for r in range(n):
        answers = {
            item.link_id: (
                "dont_know"
                if unknown[r, c]
                else "not_happening"
                if absent[r, c]
                else keys[int(values[r, c])]
            )
            if item.type == "agreement"
            else item.nearest_answer(keys[int(values[r, c])] if not unknown[r, c] else "dont_know")
            for c, item in enumerate(scored)
        }
        for item in choice_items:
            if item.enable_when is None:
                answers[item.link_id] = item.options[int(rng.integers(len(item.options)))].key
        submitted = start + timedelta(seconds=float(rng.uniform(0, span)))
        rows.append(
            {
                "id": new_response_id(),
                "campaign_id": campaign.id,
                "org_code": org_code,
                "audience": audience,
                "questionnaire_version_id": campaign.questionnaire_version_id,
                "answers": answers,
                "status": "submitted",
                "created_at": submitted,
                "updated_at": submitted,
                "submitted_at": submitted,
            }
        )
    rows.sort(key=lambda row: row["submitted_at"])
    return rows


def _eligible_and_invitations(campaign: Campaign, rng, staff_size, patient_size, orgs) -> None:  # type: ignore[no-untyped-def]
    """Eligible counts for about a third of organisations and invitations for a few more,
    so that response rates show where they are known (and stay null elsewhere)."""
    for i, org in enumerate(orgs):
        member = db.session.get(CampaignOrganisation, (campaign.id, org.code))
        roll = rng.random()
        if roll < 0.35:
            member.eligible_staff = int(staff_size[i] * rng.uniform(1.3, 2.5))
            member.eligible_patient_leader = int(patient_size[i] * rng.uniform(1.1, 1.8)) + 1
        elif roll < 0.45:
            for _ in range(int(patient_size[i] * 1.5) + 1):
                token = secrets.token_urlsafe(24)
                db.session.add(
                    Invitation(
                        campaign_id=campaign.id,
                        org_code=org.code,
                        audience="patient_leader",
                        token_hash=hash_token(token),
                        used_at=None,
                    )
                )
