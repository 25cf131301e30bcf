"""A plan as the pages and the API show it: its actions, co-sign counts and verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assessor.actions.cosign import VersionTally, cosign_tallies
from assessor.actions.operations import domain_titles, next_campaign, plan_of
from assessor.actions.verdicts import verdicts_for_plan
from assessor.extensions import db
from assessor.models import Action, Campaign, Organisation


@dataclass
class PlanView:
    """A plan as the pages and the API show it: each action with its verdict (None until the
    next campaign is published), and the co-sign tallies of each plan version, current
    first, as the reader may see them."""

    campaign: Campaign
    org_code: str
    actions: list[Action]
    tallies: list[VersionTally]
    verdict_campaign: Campaign | None
    verdicts: dict[int, dict[str, Any]] | None
    domain_titles: dict[str, str] = field(default_factory=dict)
    #: the organisation's name, for sentences ("... has not published an action plan").
    org_name: str = ""

    @property
    def cosign(self) -> VersionTally:
        """The current version's tally."""
        return self.tallies[0]

    @property
    def earlier(self) -> list[VersionTally]:
        """Earlier versions' tallies, newest first."""
        return self.tallies[1:]

    def verdict_of(self, action: Action) -> dict[str, Any] | None:
        return None if self.verdicts is None else self.verdicts.get(action.id)


def plan_view(
    campaign: Campaign, org_code: str, *, now: datetime | None = None, admin: bool = False
) -> PlanView:
    """The plan for a reader: `admin` reads live tallies, everyone else day-old ones."""
    actions = plan_of(campaign, org_code)
    following = next_campaign(campaign)
    return PlanView(
        campaign=campaign,
        org_code=org_code,
        actions=actions,
        tallies=cosign_tallies(campaign, org_code, now=now, admin=admin),
        verdict_campaign=following,
        verdicts=verdicts_for_plan(campaign, org_code, following),
        domain_titles=domain_titles(campaign),
        org_name=_name_of(org_code),
    )


def _name_of(org_code: str) -> str:
    found = db.session.get(Organisation, org_code)
    return found.name if found is not None else org_code
