"""GET /api/v1/campaigns/{slug}/organisations/{code}/actions: an organisation's action plan
after a campaign, with its co-sign counts and, once the next campaign is published, the
patient leaders' verdict on each action (already suppressed under the k rule)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint

from assessor import results
from assessor.actions.reading import PlanView, plan_view
from assessor.actions.verdicts import PUBLISHED_DIFFERENCE, PUBLISHED_HAPPENED
from assessor.auth.bearer import current_token
from assessor.campaigns.api import SLUG_PARAMETER, campaign_or_404
from assessor.campaigns.service import in_campaign
from assessor.models.action import ACTION_STATUSES
from assessor.results.schemas import TrendMeasureSchema
from assessor.web.errors import problem
from assessor.web.operations import read_operation
from assessor.web.paging import ListArgs, page_of_list, page_schema
from assessor.web.schemas import required_list

blp = Blueprint(
    "action_plans", __name__, url_prefix="/api/v1", description="Action plans and their verdict."
)

CODE_PARAMETER = {"in": "path", "name": "code", "schema": {"type": "string"}, "example": "00L"}


def _counts(keys: tuple[str, ...]) -> type[ma.Schema]:
    return type(
        "".join(k.title() for k in keys) + "CountsSchema",
        (ma.Schema,),
        {k: ma.fields.Integer(required=True, allow_none=True) for k in keys},
    )


class CosignCountsSchema(ma.Schema):
    agree = ma.fields.Integer(required=True, allow_none=True)
    disagree = ma.fields.Integer(required=True, allow_none=True)
    n = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Patient leaders who co-signed this version."},
    )
    suppressed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "`below_minimum`: fewer than k co-signed; no count is shown."},
    )
    version = ma.fields.Integer(
        required=True, metadata={"description": "The plan version these tallies are of."}
    )
    opened_on = ma.fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The day this version of the plan opened."},
    )


class VerdictSchema(ma.Schema):
    happened = ma.fields.Nested(_counts(PUBLISHED_HAPPENED), required=True)
    difference = ma.fields.Nested(_counts(PUBLISHED_DIFFERENCE), required=True)
    n = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Patient leaders who answered about this action."},
    )
    suppressed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)


class ActionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    domain = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    due_on = ma.fields.Date(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(ACTION_STATUSES))
    updated_on = ma.fields.Date(required=True)
    cosign = ma.fields.Nested(
        CosignCountsSchema,
        required=True,
        metadata={
            "description": "Co-sign tallies of the plan's current version, as at the end of"
            " the previous day for every scope but `admin`, shown when n >= k (counts only)."
        },
    )
    earlier_versions = required_list(
        CosignCountsSchema,
        "Tallies of the plan's earlier versions, newest first, under the same rule:"
        " co-signatures stay counted for the version they were given on.",
    )
    verdict = ma.fields.Nested(
        VerdictSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Null until the next campaign is published."},
    )
    domain_trend = ma.fields.Nested(
        TrendMeasureSchema,
        required=True,
        allow_none=True,
        metadata={
            "description": "The combined trend of the action's domain from this campaign to"
            " the next, shown beside the verdict; null until the next campaign is published"
            " or when the domain has no trend there."
        },
    )


ActionPageSchema = page_schema(ActionSchema, "ActionPageSchema")


@blp.route(
    "/campaigns/<slug>/organisations/<code>/actions", parameters=[SLUG_PARAMETER, CODE_PARAMETER]
)
class OrganisationActions(MethodView):
    @read_operation(blp, "results:read", ActionPageSchema, (400, 404, 422), query=ListArgs)
    def get(self, slug: str, code: str, **args: Any) -> Any:
        """The organisation's action plan after this campaign, in creation order"""
        campaign = campaign_or_404(slug)
        if not in_campaign(campaign, code):
            abort(problem(404, "Not Found", f"{code!r} is not an organisation in {slug!r}."))
        plan = plan_view(campaign, code, admin="admin" in current_token().scopes)
        trends = _domain_trends(plan)
        items = [
            {
                "id": action.id,
                "domain": action.domain,
                "title": action.title,
                "description": action.description,
                "due_on": action.due_on,
                "status": action.status,
                "updated_on": action.updated_at.date(),
                "cosign": plan.cosign.as_dict(),
                "earlier_versions": [v.as_dict() for v in plan.earlier],
                "verdict": plan.verdict_of(action),
                "domain_trend": trends.get(action.domain),
            }
            for action in plan.actions
        ]
        return page_of_list(items, lambda item: item["id"], args)


def _domain_trends(plan: PlanView) -> dict[str, Any]:
    """The next campaign's published domain trends for this organisation, once its verdict
    is published (read from the results service, as its results item shows them)."""
    if plan.verdicts is None or plan.verdict_campaign is None:
        return {}
    item = results.read(plan.verdict_campaign).for_org(plan.org_code, "combined")
    return dict(item.trend.domains) if item is not None else {}
