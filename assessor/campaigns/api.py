"""Campaigns: the list and one campaign with its response counts. Publications, results and
benchmarks are `assessor.results.api`.

Scores come from the results read model (`results.read`), already suppressed and hidden
while a campaign is open, except as a marked preview for `admin` tokens; the schemas below
are the one description of their JSON shape, and dump the read model's typed results.
A results or benchmarks cursor pins the publication its first page saw.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from assessor.auth.bearer import current_token
from assessor.auth.tokens import ADMIN
from assessor.campaigns.service import get_campaign
from assessor.extensions import db
from assessor.models import Campaign, CampaignOrganisation
from assessor.models.campaign import ACCESS_MODES
from assessor.results.reading import summary as read_summary
from assessor.web.errors import problem
from assessor.web.operations import read_operation
from assessor.web.paging import (
    ListArgs,
    page_of_query,
    page_schema,
)
from assessor.web.schemas import (
    AudienceCountsSchema,
    QuestionnaireRefSchema,
)

blp = Blueprint("campaigns", __name__, url_prefix="/api/v1", description="Campaigns.")

CAMPAIGN_STATUSES = ("scheduled", "open", "closed")
SLUG_PARAMETER = {
    "in": "path",
    "name": "slug",
    "schema": {"type": "string"},
    "example": "2025-assessment",
}
CSV_MIMETYPE = "text/csv"


# --------------------------------------------------------------------------- schemas


class CampaignSchema(ma.Schema):
    slug = ma.fields.String(required=True, metadata={"example": "2025-assessment"})
    title = ma.fields.String(required=True)
    questionnaire = ma.fields.Nested(QuestionnaireRefSchema, required=True)
    opens_at = ma.fields.DateTime(required=True, allow_none=True)
    closes_at = ma.fields.DateTime(required=True, allow_none=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(CAMPAIGN_STATUSES))
    previous = ma.fields.String(required=True, allow_none=True)
    min_respondents = ma.fields.Integer(required=True)
    access = ma.fields.String(required=True, validate=ma.validate.OneOf(ACCESS_MODES))


class CampaignDetailSchema(CampaignSchema):
    response_counts = ma.fields.Nested(
        AudienceCountsSchema,
        required=True,
        metadata={
            "description": "Submitted responses, voided ones left out: as published once the"
            " campaign is; before that, for a token without `admin`, the counts shown as at"
            " the end of `response_counts_as_of` (an organisation's count below"
            " `min_respondents` is not added in)."
        },
    )
    response_counts_as_of = ma.fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "The day whose end the counts are as at; null when final or live."
        },
    )
    organisations = ma.fields.Integer(
        required=True, metadata={"description": "Organisations in the campaign."}
    )


CampaignPageSchema = page_schema(CampaignSchema, "CampaignPageSchema")

# --------------------------------------------------------------------------- helpers


def campaign_or_404(slug: str) -> Campaign:
    """The campaign, or a 404 problem raised (abort) so views need no check of their own."""
    campaign = get_campaign(slug)
    if campaign is None:
        abort(problem(404, "Not Found", f"There is no campaign {slug!r}."))
    return campaign


def summary(campaign: Campaign) -> dict[str, Any]:
    return {
        "slug": campaign.slug,
        "title": campaign.title,
        "questionnaire": {
            "key": campaign.questionnaire.key,
            "version": campaign.questionnaire.version,
        },
        "opens_at": campaign.opens_at,
        "closes_at": campaign.closes_at,
        "status": campaign.status,
        "previous": campaign.previous.slug if campaign.previous else None,
        "min_respondents": campaign.min_respondents,
        "access": campaign.access,
    }


# --------------------------------------------------------------------------- views


@blp.route("/campaigns")
class Campaigns(MethodView):
    @read_operation(blp, "results:read", CampaignPageSchema, (400, 422), query=ListArgs)
    def get(self, **args: Any) -> Any:
        """Every campaign, in slug order"""
        return page_of_query(
            Campaign, args, order_by=[Campaign.slug], pin_by=Campaign.id, dump=summary
        )


@blp.route("/campaigns/<slug>", parameters=[SLUG_PARAMETER])
class CampaignView(MethodView):
    @read_operation(blp, "results:read", CampaignDetailSchema, (404,))
    def get(self, slug: str) -> Any:
        """One campaign, with its response counts and number of organisations"""
        campaign = campaign_or_404(slug)
        counts = read_summary(campaign, admin=ADMIN in current_token().scopes)
        organisations = db.session.scalar(
            select(func.count())
            .select_from(CampaignOrganisation)
            .where(CampaignOrganisation.campaign_id == campaign.id)
        )
        return {
            **summary(campaign),
            "response_counts": {"staff": counts.staff, "patient_leader": counts.patient_leader},
            "response_counts_as_of": counts.as_of,
            "organisations": int(organisations or 0),
        }


CODE_PARAMETER = {"in": "path", "name": "code", "schema": {"type": "string"}, "example": "00L"}
