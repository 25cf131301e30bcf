"""A plan as the pages and the API show it: its actions, co-sign counts and verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assessor.actions.cosign import cosign_counts
from assessor.actions.operations import domain_titles, next_campaign, plan_of
from assessor.actions.verdicts import verdicts_for_plan
from assessor.models import Action, Campaign


@dataclass
class PlanView:
    """A plan as the pages and the API show it: each action with its verdict (None until the
    next campaign is published), and the co-sign counts of the plan as it stands."""

    campaign: Campaign
    org_code: str
    actions: list[Action]
    cosign: dict[str, int]
    verdict_campaign: Campaign | None
    verdicts: dict[int, dict[str, Any]] | None
    domain_titles: dict[str, str] = field(default_factory=dict)

    def verdict_of(self, action: Action) -> dict[str, Any] | None:
        return None if self.verdicts is None else self.verdicts.get(action.id)


def plan_view(campaign: Campaign, org_code: str) -> PlanView:
    actions = plan_of(campaign, org_code)
    following = next_campaign(campaign)
    return PlanView(
        campaign=campaign,
        org_code=org_code,
        actions=actions,
        cosign=cosign_counts(campaign, org_code, actions),
        verdict_campaign=following,
        verdicts=verdicts_for_plan(campaign, org_code, following),
        domain_titles=domain_titles(campaign),
    )
