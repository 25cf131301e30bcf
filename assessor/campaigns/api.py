"""Campaigns, their publications, published results (JSON and CSV) and benchmarks.

Scores come from the results read model (`results.read`), already suppressed and hidden
while a campaign is open, except as a marked preview for `admin` tokens; the schemas below
are the one description of their JSON shape, and dump the read model's typed results.
A results or benchmarks cursor pins the publication its first page saw.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import marshmallow as ma
from flask import Response, abort
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from assessor import results
from assessor.auth.bearer import current_token, require_scope
from assessor.auth.tokens import ADMIN
from assessor.campaigns.service import get_campaign
from assessor.extensions import db
from assessor.models import Campaign, CampaignOrganisation
from assessor.models import Response as ResponseRow
from assessor.models.campaign import ACCESS_MODES, AUDIENCES
from assessor.questionnaires.publishing import definition_of
from assessor.results import snapshot
from assessor.results.reading import ResultsView
from assessor.results.snapshot import GROUP_BYS, RESULT_AUDIENCES
from assessor.web.api import problem_responses
from assessor.web.dumping import CompiledDumpSchema
from assessor.web.errors import problem
from assessor.web.paging import (
    InvalidCursor,
    ListArgs,
    page,
    page_of_list,
    page_schema,
    read_cursor,
)
from assessor.web.schemas import (
    AudienceCountsSchema,
    QuestionnaireRefSchema,
)

blp = Blueprint(
    "campaigns", __name__, url_prefix="/api/v1", description="Campaigns, results, benchmarks."
)

CAMPAIGN_STATUSES = ("scheduled", "open", "closed")
BANDS = tuple(band for band in snapshot.BANDS if band is not None)
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
        metadata={"description": "Submitted responses, voided ones left out."},
    )
    organisations = ma.fields.Integer(
        required=True, metadata={"description": "Organisations in the campaign."}
    )


CampaignPageSchema = page_schema(CampaignSchema, "CampaignPageSchema")


def _nullable_float(**kwargs: Any) -> ma.fields.Float:
    return ma.fields.Float(required=True, allow_none=True, **kwargs)


def _interval() -> ma.fields.List:
    return ma.fields.List(
        ma.fields.Float(),
        required=True,
        allow_none=True,
        validate=ma.validate.Length(equal=2),
        metadata={"description": "[low, high], or null"},
    )


class ByGroupNumberSchema(ma.Schema):
    national = _nullable_float()
    region = _nullable_float()
    peer_group = _nullable_float()


class ByGroupBandSchema(ma.Schema):
    national = ma.fields.String(required=True, allow_none=True, validate=ma.validate.OneOf(BANDS))
    region = ma.fields.String(required=True, allow_none=True, validate=ma.validate.OneOf(BANDS))
    peer_group = ma.fields.String(required=True, allow_none=True, validate=ma.validate.OneOf(BANDS))


class MeasureSchema(ma.Schema):
    score = _nullable_float()
    level = ma.fields.Integer(required=True, allow_none=True)
    level_key = ma.fields.String(required=True, allow_none=True)
    n = ma.fields.Integer(required=True, allow_none=True)
    ci95 = _interval()
    suppressed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)
    percentile = ma.fields.Nested(ByGroupNumberSchema, required=True)
    funnel = ma.fields.Nested(ByGroupBandSchema, required=True)


class GapMeasureSchema(ma.Schema):
    staff_minus_patient_leader = _nullable_float()
    ci95 = _interval()
    significant = ma.fields.Boolean(required=True, allow_none=True)
    suppressed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)


class TrendMeasureSchema(ma.Schema):
    before = _nullable_float()
    now = _nullable_float()
    delta = _nullable_float()
    ci95 = _interval()
    significant = ma.fields.Boolean(required=True, allow_none=True)
    suppressed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)


def _domains(schema: type[ma.Schema]) -> ma.fields.Dict:
    return ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(schema),
        required=True,
        metadata={"description": "domain key -> measure"},
    )


class GapSchema(ma.Schema):
    overall = ma.fields.Nested(GapMeasureSchema, required=True)
    domains = _domains(GapMeasureSchema)
    reason = ma.fields.String(required=True, allow_none=True)


class TrendSchema(ma.Schema):
    previous = ma.fields.String(required=True, allow_none=True)
    comparable_fraction = _nullable_float()
    comparable_domains = ma.fields.List(ma.fields.String(), required=True)
    reason = ma.fields.String(required=True, allow_none=True)
    overall = ma.fields.Nested(TrendMeasureSchema, required=True)
    domains = _domains(TrendMeasureSchema)


class ScoringSchema(ma.Schema):
    questionnaire = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    rules = ma.fields.String(required=True)
    min_respondents = ma.fields.Integer(required=True)
    groups = ma.fields.String()
    computed_at = ma.fields.String(required=True, metadata={"format": "date-time"})


class PublicationRefSchema(ma.Schema):
    number = ma.fields.Integer(required=True)
    published_on = ma.fields.Date(required=True)
    reason = ma.fields.String(required=True, allow_none=True)


class PublicationSchema(PublicationRefSchema):
    organisations_revised = ma.fields.Integer(
        required=True,
        metadata={
            "description": "Organisations with a measure newly withheld by the differencing"
            " rule (revision_below_minimum)."
        },
    )


PublicationPageSchema = page_schema(PublicationSchema, "PublicationPageSchema")


def _publication() -> ma.fields.Nested:
    return ma.fields.Nested(
        PublicationRefSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The publication these numbers come from; null on a preview."},
    )


class ResultOrganisationSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    region = ma.fields.String(required=True)
    peer_group = ma.fields.String(required=True)


class ResponseRatesSchema(ma.Schema):
    staff = _nullable_float()
    patient_leader = _nullable_float()


class ResultSchema(CompiledDumpSchema):
    """One organisation's results; dumped through a compiled plan (a page is ~23,000 values)."""

    organisation = ma.fields.Nested(ResultOrganisationSchema, required=True)
    audience = ma.fields.String(required=True, validate=ma.validate.OneOf(RESULT_AUDIENCES))
    preview = ma.fields.Boolean(required=True)
    responses = ma.fields.Nested(AudienceCountsSchema, required=True)
    response_rate = ma.fields.Nested(ResponseRatesSchema, required=True)
    scoring = ma.fields.Nested(ScoringSchema, required=True)
    publication = _publication()
    overall = ma.fields.Nested(MeasureSchema, required=True)
    domains = _domains(MeasureSchema)
    gap = ma.fields.Nested(GapSchema, required=True)
    trend = ma.fields.Nested(TrendSchema, required=True)


ResultPageSchema = page_schema(ResultSchema, "ResultPageSchema")


class RungShareSchema(ma.Schema):
    met_share = _nullable_float()
    n = ma.fields.Integer(required=True, allow_none=True)
    suppressed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)


class ItemShareSchema(ma.Schema):
    dont_know = _nullable_float()
    not_happening = _nullable_float()
    n = ma.fields.Integer(required=True, allow_none=True)
    suppressed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)


class AudienceProfileSchema(ma.Schema):
    rungs = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(RungShareSchema)),
        required=True,
        metadata={"description": "domain -> rung -> share of respondents meeting it"},
    )
    items = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(ItemShareSchema),
        required=True,
        metadata={"description": "link_id -> shares of don't know and does not happen here"},
    )


class ProfilesSchema(ma.Schema):
    staff = ma.fields.Nested(AudienceProfileSchema, required=True)
    patient_leader = ma.fields.Nested(AudienceProfileSchema, required=True)


class ResultDetailSchema(ResultSchema):
    profiles = ma.fields.Nested(ProfilesSchema, required=True)


class FunnelSchema(ma.Schema):
    target = _nullable_float()
    phi = _nullable_float()
    tau2 = _nullable_float()


class GroupStatisticsSchema(ma.Schema):
    n_orgs = ma.fields.Integer(required=True, allow_none=True)
    n_suppressed = ma.fields.Integer(required=True, allow_none=True)
    mean = _nullable_float()
    median = _nullable_float()
    q1 = _nullable_float()
    q3 = _nullable_float()
    min = _nullable_float()
    max = _nullable_float()
    levels = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(allow_none=True),
        required=True,
        metadata={
            "description": "level 0..R -> organisations at that level (null while the"
            " campaign's results are not published)"
        },
    )
    funnel = ma.fields.Nested(FunnelSchema, required=True)


class GroupSchema(ma.Schema):
    by = ma.fields.String(required=True, validate=ma.validate.OneOf(GROUP_BYS))
    value = ma.fields.String(required=True)


class BenchmarkSchema(ma.Schema):
    group = ma.fields.Nested(GroupSchema, required=True)
    audience = ma.fields.String(required=True, validate=ma.validate.OneOf(RESULT_AUDIENCES))
    preview = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)
    scoring = ma.fields.Nested(ScoringSchema, required=True)
    publication = _publication()
    overall = ma.fields.Nested(GroupStatisticsSchema, required=True)
    domains = _domains(GroupStatisticsSchema)


BenchmarkPageSchema = page_schema(BenchmarkSchema, "BenchmarkPageSchema")


class ResultFilters(ma.Schema):
    audience = ma.fields.String(
        load_default="combined", validate=ma.validate.OneOf(RESULT_AUDIENCES)
    )
    region = ma.fields.String(
        metadata={"description": "As recorded when the campaign was created."}
    )
    peer_group = ma.fields.String(
        metadata={"description": "As recorded when the campaign was created."}
    )


class ResultArgs(ListArgs, ResultFilters):
    pass


class BenchmarkArgs(ListArgs):
    audience = ma.fields.String(
        load_default="combined", validate=ma.validate.OneOf(RESULT_AUDIENCES)
    )
    group_by = ma.fields.String(load_default="national", validate=ma.validate.OneOf(GROUP_BYS))


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


def response_counts(campaign: Campaign) -> dict[str, int]:
    rows = db.session.execute(
        select(ResponseRow.audience, func.count())
        .where(ResponseRow.campaign_id == campaign.id, ResponseRow.status == "submitted")
        .group_by(ResponseRow.audience)
    ).all()
    counts = {audience: 0 for audience in AUDIENCES}
    counts.update({audience: int(n) for audience, n in rows if audience in counts})
    return counts


def _is_admin() -> bool:
    return ADMIN in current_token().scopes


def _view(campaign: Campaign, cursor: Any = None) -> ResultsView:
    """The campaign's results for this token, at the publication a cursor pinned."""
    return results.read(campaign, admin=_is_admin(), number=cursor.pin if cursor else None)


def _pin(view: ResultsView) -> int | None:
    return view.publication.number if view.publication else None


# --------------------------------------------------------------------------- CSV


def _measure_fields() -> list[str]:
    return [
        "score",
        "level",
        "level_key",
        "n",
        "ci95.low",
        "ci95.high",
        "suppressed",
        "reason",
        *(f"percentile.{g}" for g in GROUP_BYS),
        *(f"funnel.{g}" for g in GROUP_BYS),
    ]


GAP_FIELDS = [
    "staff_minus_patient_leader",
    "ci95.low",
    "ci95.high",
    "significant",
    "suppressed",
    "reason",
]
TREND_FIELDS = [
    "before",
    "now",
    "delta",
    "ci95.low",
    "ci95.high",
    "significant",
    "suppressed",
    "reason",
]


def csv_columns(domain_keys: list[str]) -> list[str]:
    """Every column of the CSV, in order: one per measure and field, as dotted paths into a
    results item (`ci95` split into `.low` and `.high`)."""
    measures = ["overall", *(f"domains.{key}" for key in domain_keys)]
    columns = [
        "organisation.code",
        "organisation.name",
        "organisation.region",
        "organisation.peer_group",
        "audience",
        "preview",
        "responses.staff",
        "responses.patient_leader",
        "response_rate.staff",
        "response_rate.patient_leader",
        "scoring.questionnaire",
        "scoring.version",
        "scoring.rules",
        "scoring.min_respondents",
        "scoring.computed_at",
        "publication.number",
        "publication.published_on",
        "publication.reason",
    ]
    columns += [f"{m}.{f}" for m in measures for f in _measure_fields()]
    columns += [f"gap.{m}.{f}" for m in measures for f in GAP_FIELDS]
    columns += [
        "gap.reason",
        "trend.previous",
        "trend.comparable_fraction",
        "trend.comparable_domains",
        "trend.reason",
    ]
    columns += [f"trend.{m}.{f}" for m in measures for f in TREND_FIELDS]
    return columns


def _lookup(item: dict[str, Any], path: str) -> Any:
    parts = path.split(".")
    value: Any = item
    for i, part in enumerate(parts):
        if value is None:
            return None
        if part in ("low", "high") and i == len(parts) - 1 and parts[i - 1] == "ci95":
            return value[0 if part == "low" else 1]
        value = value.get(part)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def results_csv(items: list[dict[str, Any]], domain_keys: list[str]) -> Iterator[str]:
    """Results items as dumped by `ResultSchema`, one row each."""
    columns = csv_columns(domain_keys)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for item in items:
        writer.writerow([_cell(_lookup(item, column)) for column in columns])
    yield buffer.getvalue()


# --------------------------------------------------------------------------- views


@blp.route("/campaigns")
class Campaigns(MethodView):
    @require_scope("results:read")
    @problem_responses(400, 422)
    @blp.arguments(ListArgs, location="query", as_kwargs=True, unknown=ma.RAISE)
    @blp.response(200, CampaignPageSchema)
    def get(self, **args: Any) -> Any:
        """Every campaign, in slug order"""
        cursor = read_cursor(args)
        pin = cursor.pin if cursor else db.session.scalar(select(func.max(Campaign.id)))
        pin = pin or 0
        pinned = Campaign.id <= pin
        query = select(Campaign).where(pinned)
        if cursor is not None:
            query = query.where(Campaign.slug > cursor.after)
        limit = args["limit"]
        rows = db.session.scalars(query.order_by(Campaign.slug).limit(limit + 1)).all()
        chunk = rows[:limit]
        total = db.session.scalar(select(func.count()).select_from(Campaign).where(pinned))
        return page(
            [summary(c) for c in chunk],
            int(total or 0),
            args,
            more=len(rows) > limit,
            pin=pin,
            after=chunk[-1].slug if chunk else None,
        )


@blp.route("/campaigns/<slug>", parameters=[SLUG_PARAMETER])
class CampaignView(MethodView):
    @require_scope("results:read")
    @problem_responses(404)
    @blp.response(200, CampaignDetailSchema)
    def get(self, slug: str) -> Any:
        """One campaign, with its response counts and number of organisations"""
        campaign = campaign_or_404(slug)
        organisations = db.session.scalar(
            select(func.count())
            .select_from(CampaignOrganisation)
            .where(CampaignOrganisation.campaign_id == campaign.id)
        )
        return {
            **summary(campaign),
            "response_counts": response_counts(campaign),
            "organisations": int(organisations or 0),
        }


CODE_PARAMETER = {"in": "path", "name": "code", "schema": {"type": "string"}, "example": "00L"}


@blp.route("/campaigns/<slug>/publications", parameters=[SLUG_PARAMETER])
class CampaignPublications(MethodView):
    @require_scope("results:read")
    @problem_responses(400, 404, 422)
    @blp.arguments(ListArgs, location="query", as_kwargs=True, unknown=ma.RAISE)
    @blp.response(200, PublicationPageSchema)
    def get(self, slug: str, **args: Any) -> Any:
        """The campaign's publications, oldest first (none while it is open)"""
        campaign = campaign_or_404(slug)
        results.ensure_published(campaign)
        rows = results.publications_of(campaign)
        return page_of_list(rows, lambda row: row.number, args)


@blp.route("/campaigns/<slug>/results", parameters=[SLUG_PARAMETER])
class CampaignResults(MethodView):
    @require_scope("results:read")
    @problem_responses(400, 404, 422)
    @blp.arguments(ResultArgs, location="query", as_kwargs=True, unknown=ma.RAISE)
    @blp.response(200, ResultPageSchema)
    def get(self, slug: str, **args: Any) -> Any:
        """One results item per organisation of the campaign, in code order

        Scores below the campaign's minimum number of respondents are null with a reason.
        While the campaign is open, scores are null (`campaign_open`) except for `admin`
        tokens, which see them marked `preview: true`. Every item carries the publication
        its numbers come from.
        """
        campaign = campaign_or_404(slug)
        cursor = read_cursor(args)
        view = _view(campaign, cursor)
        if cursor is not None and not isinstance(cursor.after, str):
            raise InvalidCursor()
        limit = args["limit"]
        items, total, more = view.page(
            args["audience"],
            region=args.get("region"),
            peer_group=args.get("peer_group"),
            after=cursor.after if cursor else None,
            limit=limit,
        )
        return page(
            items,
            total,
            args,
            more=more,
            pin=_pin(view),
            after=items[-1].organisation.code if items else None,
        )


@blp.route("/campaigns/<slug>/results/<code>", parameters=[SLUG_PARAMETER, CODE_PARAMETER])
class OrganisationResult(MethodView):
    @require_scope("results:read")
    @problem_responses(404, 422)
    @blp.arguments(ResultFilters, location="query", as_kwargs=True, unknown=ma.RAISE)
    @blp.response(200, ResultDetailSchema)
    def get(self, slug: str, code: str, **args: Any) -> Any:
        """One organisation's results item, with its rung and answer profiles"""
        campaign = campaign_or_404(slug)
        found = _view(campaign).for_org(code, args["audience"], profiles=True)
        if found is None:
            abort(problem(404, "Not Found", f"Organisation {code!r} is not in {slug!r}."))
        return found


@blp.route("/campaigns/<slug>/results.csv", parameters=[SLUG_PARAMETER])
class CampaignResultsCsv(MethodView):
    @require_scope("results:read")
    @problem_responses(404, 422)
    @blp.arguments(ResultFilters, location="query", as_kwargs=True, unknown=ma.RAISE)
    @blp.response(
        200,
        {
            "type": "string",
            "description": "One row per organisation, one column per measure"
            " and field (dotted paths into a results item).",
        },
        content_type=CSV_MIMETYPE,
    )
    def get(self, slug: str, **args: Any) -> Any:
        """The results, flattened to CSV (not paged)"""
        campaign = campaign_or_404(slug)
        items, _, _ = _view(campaign).page(
            args["audience"], region=args.get("region"), peer_group=args.get("peer_group")
        )
        domain_keys = list(definition_of(campaign.questionnaire).domain_keys)
        filename = f"{campaign.slug}-results-{args['audience']}.csv"
        return Response(
            "".join(results_csv(ResultSchema(many=True).dump(items), domain_keys)),
            mimetype=CSV_MIMETYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


@blp.route("/campaigns/<slug>/benchmarks", parameters=[SLUG_PARAMETER])
class CampaignBenchmarks(MethodView):
    @require_scope("results:read")
    @problem_responses(400, 404, 422)
    @blp.arguments(BenchmarkArgs, location="query", as_kwargs=True, unknown=ma.RAISE)
    @blp.response(200, BenchmarkPageSchema)
    def get(self, slug: str, **args: Any) -> Any:
        """One benchmarks item per group (national, each region or each peer group)"""
        campaign = campaign_or_404(slug)
        view = _view(campaign)
        items = view.benchmarks(args["audience"], args["group_by"])
        return page_of_list(items, lambda item: item.group["value"], args)
