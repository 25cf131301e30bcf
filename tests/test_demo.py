"""The demo data set: shape as design.md describes it, and deterministic for a seed."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from sqlalchemy import select

from assessor.actions.reading import plan_view
from assessor.actions.verdicts import verdict_tallies
from assessor.campaigns.service import get_campaign
from assessor.demo import load_demo
from assessor.models import Campaign, Organisation, Response, User
from assessor.organisations.demo import REGIONS
from assessor.questionnaires.publishing import definition_of
from tests.support.factories import publish_shipped, result_items


def _digest(db) -> str:  # type: ignore[no-untyped-def]
    rows = db.session.execute(
        select(Campaign.slug, Response.org_code, Response.audience, Response.answers).join(
            Campaign, Campaign.id == Response.campaign_id
        )
    ).all()
    canonical = sorted(json.dumps([r[0], r[1], r[2], r[3]], sort_keys=True) for r in rows)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


def _wipe(db) -> None:  # type: ignore[no-untyped-def]
    from assessor.models import Base

    db.session.rollback()
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def test_demo_is_deterministic_for_a_seed(db) -> None:
    publish_shipped()
    db.session.commit()
    load_demo(seed=11, echo=lambda _: None, organisations=12)
    first = _digest(db)
    _wipe(db)
    publish_shipped()
    db.session.commit()
    load_demo(seed=11, echo=lambda _: None, organisations=12)
    assert _digest(db) == first
    _wipe(db)
    publish_shipped()
    db.session.commit()
    load_demo(seed=12, echo=lambda _: None, organisations=12)
    assert _digest(db) != first


def test_demo_data_set_has_the_described_shape(db) -> None:
    publish_shipped()
    db.session.commit()
    lines: list[str] = []
    load_demo(seed=2026, echo=lines.append)
    orgs = db.session.scalars(select(Organisation)).all()
    assert 190 <= len(orgs) <= 210
    assert set(Counter(o.region for o in orgs)) == set(REGIONS)
    assert all(o.peer_group for o in orgs)
    statuses = {
        c.slug: (
            c.status,
            c.questionnaire.version,
            c.previous.slug if c.previous else None,
            c.access,
        )
        for c in db.session.scalars(select(Campaign))
    }
    assert statuses == {
        "2023-assessment": ("closed", 2, None, "open"),
        "2024-assessment": ("closed", 3, "2023-assessment", "open"),
        "2025-assessment": ("closed", 3, "2024-assessment", "open"),
        "2026-assessment": ("open", 3, "2025-assessment", "open"),
    }
    assert any("board@example.nhs.uk" in line for line in lines)
    assert db.session.scalar(select(User).where(User.role == "viewer")) is not None

    items = result_items(get_campaign("2025-assessment"), "combined")
    reasons = Counter(item["overall"]["reason"] for item in items)
    assert reasons["patient_leader_below_minimum"] > 0  # some cells are suppressed
    assert reasons[None] > 100
    gaps = [
        i["gap"]["overall"]["staff_minus_patient_leader"]
        for i in items
        if i["gap"]["overall"]["staff_minus_patient_leader"] is not None
    ]
    assert sum(gaps) / len(gaps) > 0.2  # staff more optimistic than patient leaders
    assert {i["overall"]["level"] for i in items} - {None} >= {1, 2, 3}
    counts = [i["responses"] for i in items]
    assert min(c["staff"] for c in counts) >= 8 and max(c["staff"] for c in counts) <= 95
    assert min(c["patient_leader"] for c in counts) <= 3
    assert any(i["response_rate"]["staff"] is not None for i in items)
    # Cell sizes are skewed (many small organisations, a few large), so the funnel's limits
    # narrow; the patient-leader cells meant to be published reach k in every closed
    # campaign, and the others (about one in eight) stay well below it.
    k = get_campaign("2025-assessment").min_respondents
    for slug in ("2023-assessment", "2024-assessment", "2025-assessment"):
        sizes = [i["responses"] for i in result_items(get_campaign(slug), "combined")]
        staff = sorted(c["staff"] for c in sizes)
        median = staff[len(staff) // 2]
        assert median < sum(staff) / len(staff) and staff[-1] >= 2 * median, slug
        patient = [c["patient_leader"] for c in sizes]
        small = [n for n in patient if n < k]
        assert 0.05 < len(small) / len(patient) < 0.2, slug
        assert max(small) <= 3 and min(n for n in patient if n >= k) <= k + 2, slug
    assert any(i["response_rate"]["patient_leader"] is None for i in items)
    trend = items[0]["trend"]
    # 2024 -> 2025 on the same version: a published trend on every item
    assert trend["previous"] == "2024-assessment" and trend["comparable_fraction"] == 1
    assert any(i["trend"]["overall"]["delta"] is not None for i in items)
    # 2023 (v2) -> 2024 (v3): a break in the series, with its reason
    broken = result_items(get_campaign("2024-assessment"), "combined")[0]["trend"]
    assert broken["reason"] == "not_comparable" and broken["comparable_fraction"] == 0
    dont_know = sum(
        1
        for answers in db.session.scalars(select(Response.answers).limit(500))
        for value in answers.values()
        if value == "dont_know"
    )
    assert dont_know > 0

    # v3 (2024 on): "This does not happen here" is drawn, more often at higher rungs, where
    # the hidden maturity lies further below the rung; v2 (2023) never offers it.
    q3 = definition_of(get_campaign("2026-assessment").questionnaire)
    rank = {item.link_id: q3.rung_rank(item.rung) for item in q3.scored_items}
    by_rank: Counter[int] = Counter()
    shown: Counter[int] = Counter()
    for slug, answers in db.session.execute(
        select(Campaign.slug, Response.answers).join(Campaign, Campaign.id == Response.campaign_id)
    ):
        if slug == "2023-assessment":
            assert "not_happening" not in answers.values()
            continue
        for link_id, value in answers.items():
            if link_id in rank:
                shown[rank[link_id]] += 1
                by_rank[rank[link_id]] += value == "not_happening"
    share = {r: by_rank[r] / shown[r] for r in range(1, 6)}
    assert share[5] > share[1] and share[5] > 0.1


def test_each_publication_freezes_the_verdicts_on_the_plan_before_it(db) -> None:
    """2025's patient leaders judged 2024's plans before 2025 was published, so its
    publication shows those verdicts, read as the board page reads them (`plan_view`), and
    they are the live tallies. The demo has no plan after 2023, so 2024's publication has no
    verdicts to show; 2026, open, collects verdicts on 2025's plans, published when it closes."""
    publish_shipped()
    db.session.commit()
    load_demo(seed=2026, echo=lambda _: None, organisations=12)
    codes = db.session.scalars(select(Organisation.code).order_by(Organisation.code)).all()
    c2023, c2024, c2025 = (get_campaign(f"{y}-assessment") for y in (2023, 2024, 2025))
    live = verdict_tallies(c2025)
    shown = 0
    for code in codes:
        plan = plan_view(c2024, code)
        assert plan.verdicts is not None  # 2025 is published
        assert set(plan.verdicts) == {a.id for a in plan.actions}
        for action in plan.actions:
            tally = plan.verdict_of(action)
            assert tally == live[(code, action.id)]
            shown += not tally["suppressed"]
        earlier = plan_view(c2023, code)
        assert earlier.actions == [] and earlier.verdicts == {}
        assert plan_view(c2025, code).verdicts is None  # 2026 is open
    assert shown > 0
    assert any(t["n"] for t in verdict_tallies(get_campaign("2026-assessment")).values())
