"""The demo has plans, co-signatures and verdicts, so that every plan page shows content."""

from __future__ import annotations

from sqlalchemy import func, select

from assessor.actions.reading import plan_view
from assessor.actions.verdicts import verdict_tallies
from assessor.campaigns.service import get_campaign
from assessor.demo import load_demo
from assessor.models import Action, Cosign, Organisation, User, VerdictAnswer
from tests.support.factories import publish_shipped


def test_the_demo_has_plans_cosignatures_and_verdicts(db) -> None:
    publish_shipped()
    db.session.commit()
    lines: list[str] = []
    load_demo(seed=2026, echo=lines.append, organisations=30)
    orgs = db.session.scalar(select(func.count()).select_from(Organisation))
    for slug in ("2024-assessment", "2025-assessment"):
        campaign = get_campaign(slug)
        with_plans = db.session.scalar(
            select(func.count(func.distinct(Action.org_code))).where(
                Action.campaign_id == campaign.id
            )
        )
        assert with_plans > orgs / 2, slug  # most organisations
        assert db.session.scalar(
            select(func.count()).select_from(Cosign).where(Cosign.campaign_id == campaign.id)
        )
    assert db.session.scalar(select(func.count()).select_from(VerdictAnswer)) > 0
    published = verdict_tallies(get_campaign("2025-assessment"))
    assert any(not t["suppressed"] for t in published.values())
    assert any(t["reason"] == "below_minimum" for t in published.values())
    assert verdict_tallies(get_campaign("2026-assessment"))  # answered, not yet published
    editor = db.session.scalar(select(User).where(User.role == "editor"))
    assert editor is not None and editor.org_code is not None
    assert any("editor@example.nhs.uk" in line for line in lines)
    plan = plan_view(get_campaign("2024-assessment"), editor.org_code)
    assert plan.verdicts is not None
    assert plan_view(get_campaign("2025-assessment"), editor.org_code).verdicts is None
