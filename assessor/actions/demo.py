"""Action plans for the demo: plans after 2024 and 2025 for most organisations, some
co-signed, and the verdicts that the next campaign's patient leaders gave on them (2025 on
2024's plans, frozen in 2025's publication; 2026 on 2025's, published when 2026 closes). A
board editor of the first organisation is created so that the plan editor can be tried.

Drawn from its own random stream, so that the demo's responses stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
from sqlalchemy import select

from assessor.actions.operations import plan_digest
from assessor.auth.passwords import hash_password
from assessor.extensions import db
from assessor.models import (
    Action,
    AuditEvent,
    Campaign,
    Cosign,
    Organisation,
    PlanVersion,
    Response,
    User,
    VerdictAnswer,
    utcnow,
)
from assessor.questionnaires.publishing import definition_of

EDITOR = "editor@example.nhs.uk"
#: domain -> plausible actions (title, description)
IDEAS: dict[str, list[tuple[str, str]]] = {
    "governance": [
        ("Two patient leaders on the board", "Paid seats with a vote, recruited openly."),
        ("Patient leaders co-chair the quality committee", "From the next committee cycle."),
        ("Board papers in plain English", "A one-page summary patient leaders helped write."),
    ],
    "insight": [
        ("Share what we heard, and what we did", "A quarterly 'you said, we did' report."),
        ("Patient leaders shape the survey programme", "They choose two questions each year."),
    ],
    "leadership_development": [
        ("Leadership course for patient leaders", "Twelve places a year, expenses and pay."),
        ("Mentoring between board members and patient leaders", "Paired for a year."),
    ],
    "culture_and_systems": [
        ("Pay patient leaders for their time", "A published rate, paid within 30 days."),
        ("Co-production training for all managers", "Designed and delivered with patients."),
    ],
    "reach_and_equalities": [
        (
            "Reach groups we rarely hear from",
            "Sessions with carers, young people and people who do not speak English.",
        ),
        ("Interpreters and easy-read papers by default", "For every public meeting."),
    ],
    "accountability": [
        ("Patient leaders review progress every quarter", "In public, minutes published."),
        ("Publish what changed because of patient leaders", "In the annual report."),
    ],
}
HAPPENED_BY_STATUS = {
    "done": ([0.6, 0.25, 0.05, 0.1], [0.4, 0.35, 0.1, 0.15]),
    "in_progress": ([0.15, 0.45, 0.2, 0.2], [0.15, 0.35, 0.25, 0.25]),
    "planned": ([0.05, 0.2, 0.5, 0.25], [0.05, 0.2, 0.45, 0.3]),
    "dropped": ([0.02, 0.1, 0.7, 0.18], [0.02, 0.08, 0.6, 0.3]),
}
HAPPENED_KEYS = ("done", "partly", "not", "dont_know")
DIFFERENCE_KEYS = ("yes", "some", "no", "dont_know")


#: The campaigns after which most organisations write a plan, with the statuses its actions
#: are drawn from.
PLANS = {
    "2024-assessment": ("done", "done", "in_progress", "dropped", "planned"),
    "2025-assessment": ("planned", "in_progress", "in_progress", "done"),
}


class DemoPlans:
    """The demo's plans, co-signatures and verdicts, added as its campaigns unfold (flushed,
    not committed): a plan once its campaign is published, and the verdicts on it once the
    next campaign's patient leaders have answered, before that campaign is published in its
    turn, so that its publication freezes them as a real one would."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 7])
        self.totals = {"actions": 0, "cosigns": 0, "verdicts": 0}

    def after_publication(self, campaign: Campaign) -> None:
        """Plans answering `campaign`'s published results, for most organisations."""
        statuses = PLANS.get(campaign.slug)
        if statuses is None or campaign.closes_at is None:
            return
        q = definition_of(campaign.questionnaire)
        domains = [d.key for d in q.domains if d.key in IDEAS]
        for org_code in db.session.scalars(
            select(Organisation.code).order_by(Organisation.code)
        ).all():
            if self.rng.random() < 0.2:
                continue  # some organisations have not written a plan
            actions = _plan(campaign, org_code, domains, statuses, self.rng)
            self.totals["actions"] += len(actions)
            self.totals["cosigns"] += _cosigns(campaign, org_code, actions, self.rng)
        db.session.flush()

    def after_responses(self, campaign: Campaign) -> None:
        """`campaign`'s patient leaders' verdicts on their organisation's previous plan."""
        self.totals["verdicts"] += _verdicts(campaign, self.rng)
        db.session.flush()

    def finish(self, echo: Callable[[str], None], password: str) -> None:
        """A board editor of the first organisation, and what was added."""
        first = db.session.scalar(select(Organisation.code).order_by(Organisation.code))
        if first is not None:
            db.session.add(
                User(
                    email=EDITOR,
                    role="editor",
                    org_code=first,
                    password_hash=hash_password(password),
                )
            )
        db.session.flush()
        echo(
            f"Action plans: {self.totals['actions']} actions, {self.totals['cosigns']}"
            f" co-signatures, {self.totals['verdicts']} verdict answers"
        )
        if first is not None:
            echo(f"Plan editor login: {EDITOR} / {password}  (edits {first}'s plans)")


def _plan(
    campaign: Campaign, org_code: str, domains: list[str], statuses: tuple[str, ...], rng
) -> list[Action]:  # type: ignore[no-untyped-def]
    closed = campaign.closes_at
    assert closed is not None
    count = int(rng.integers(2, 5))
    chosen = rng.choice(len(domains), size=count, replace=False)
    actions = []
    for j, d in enumerate(chosen):
        domain = domains[int(d)]
        title, description = IDEAS[domain][int(rng.integers(len(IDEAS[domain])))]
        written = closed + timedelta(days=int(rng.integers(14, 60)))
        action = Action(
            campaign_id=campaign.id,
            org_code=org_code,
            domain=domain,
            title=title,
            description=description,
            due_on=(closed + timedelta(days=int(rng.integers(120, 330)))).date(),
            status=statuses[(j + int(rng.integers(len(statuses)))) % len(statuses)],
            created_at=written,
            updated_at=min(written + timedelta(days=int(rng.integers(0, 200))), utcnow()),
        )
        actions.append(action)
    db.session.add_all(actions)
    db.session.flush()
    db.session.add_all(
        AuditEvent(
            actor="demo",
            action="action.create",
            details={
                "campaign": campaign.slug,
                "organisation": org_code,
                "action_id": a.id,
                "changes": {"title": [None, a.title], "status": [None, a.status]},
            },
            at=a.created_at,
        )
        for a in actions
    )
    return actions


def _cosigns(campaign: Campaign, org_code: str, actions: list[Action], rng) -> int:  # type: ignore[no-untyped-def]
    if rng.random() < 0.45:
        return 0
    digest = plan_digest(actions)
    n = int(rng.integers(2, 14))
    agree_share = rng.uniform(0.4, 0.95)
    closed = campaign.closes_at
    assert closed is not None
    db.session.add(
        PlanVersion(
            campaign_id=campaign.id,
            org_code=org_code,
            number=1,
            plan_digest=digest,
            opened_on=(closed + timedelta(days=59)).date(),
        )
    )
    for _ in range(n):
        agrees = bool(rng.random() < agree_share)
        comment = None
        if rng.random() < 0.25:
            comment = (
                "Good to see this written down; we will hold you to the dates."
                if agrees
                else "This is not what we asked for: we asked for a say in decisions."
            )
        db.session.add(
            Cosign(
                campaign_id=campaign.id,
                org_code=org_code,
                plan_digest=digest,
                version=1,
                agrees=agrees,
                comment=comment,
                given_on=(closed + timedelta(days=int(rng.integers(60, 90)))).date(),
            )
        )
    return n


def _verdicts(campaign: Campaign, rng) -> int:  # type: ignore[no-untyped-def]
    """Each submitted patient leader of `campaign` judges their organisation's previous
    plan, answering most actions."""
    if campaign.previous_id is None:
        return 0
    by_org: dict[str, list[Action]] = {}
    for action in db.session.scalars(
        select(Action).where(Action.campaign_id == campaign.previous_id).order_by(Action.id)
    ):
        by_org.setdefault(action.org_code, []).append(action)
    respondents = db.session.execute(
        select(Response.seq, Response.org_code)
        .where(
            Response.campaign_id == campaign.id,
            Response.audience == "patient_leader",
            Response.status == "submitted",
        )
        .order_by(Response.seq)
    ).all()
    rows = []
    for seq, org_code in respondents:
        for action in by_org.get(org_code, []):
            if rng.random() < 0.15:
                continue
            p_happened, p_difference = HAPPENED_BY_STATUS[action.status]
            rows.append(
                {
                    "response_seq": seq,
                    "action_id": action.id,
                    "happened": HAPPENED_KEYS[int(rng.choice(4, p=p_happened))],
                    "difference": DIFFERENCE_KEYS[int(rng.choice(4, p=p_difference))],
                }
            )
    if rows:
        db.session.execute(VerdictAnswer.__table__.insert(), rows)
    return len(rows)
