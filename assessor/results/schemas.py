"""The JSON shape of publications, results items and benchmarks: marshmallow schemas that
dump the read model's typed results (the one description of that shape, also the OpenAPI
document's)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from assessor.results import snapshot
from assessor.results.snapshot import GROUP_BYS, RESULT_AUDIENCES
from assessor.web.dumping import CompiledDumpSchema
from assessor.web.paging import ListArgs, page_schema
from assessor.web.schemas import AudienceCountsSchema

BANDS = tuple(band for band in snapshot.BANDS if band is not None)


def _nullable_float(**kwargs: Any) -> ma.fields.Float:
    return ma.fields.Float(required=True, allow_none=True, **kwargs)


def _count() -> ma.fields.Integer:
    return ma.fields.Integer(required=True, allow_none=True)


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
    n = _count()
    ci95 = _interval()
    imprecise = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "shown, but resting on fewer than 10 respondents (combined:"
            " either cell): read with care"
        },
    )
    suppressed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)
    percentile = ma.fields.Nested(ByGroupNumberSchema, required=True)
    funnel = ma.fields.Nested(ByGroupBandSchema, required=True)


def _suppressible(name: str, **fields: ma.fields.Field) -> type[ma.Schema]:
    """A schema of numbers that are null when suppressed: `fields`, then `suppressed` and
    the `reason` (a class built here, so that the fields keep this order)."""
    return type(
        name,
        (ma.Schema,),
        {
            **fields,
            "suppressed": ma.fields.Boolean(required=True),
            "reason": ma.fields.String(required=True, allow_none=True),
        },
    )


def _difference(name: str, **values: ma.fields.Field) -> type[ma.Schema]:
    """A difference (a gap or a trend) with its interval and significance."""
    return _suppressible(
        name,
        **values,
        ci95=_interval(),
        clipped=ma.fields.Boolean(
            required=True,
            allow_none=True,
            metadata={"description": "ci95 reached -R or R and was cut there"},
        ),
        significant=ma.fields.Boolean(required=True, allow_none=True),
    )


GapMeasureSchema = _difference("GapMeasureSchema", staff_minus_patient_leader=_nullable_float())
TrendMeasureSchema = _difference(
    "TrendMeasureSchema", before=_nullable_float(), now=_nullable_float(), delta=_nullable_float()
)


def _keyed(schema: type[ma.Schema], description: str) -> ma.fields.Dict:
    """A required object of `schema` values under string keys."""
    return ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(schema),
        required=True,
        metadata={"description": description},
    )


def _domains(schema: type[ma.Schema]) -> ma.fields.Dict:
    return _keyed(schema, "domain key -> measure")


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


def _rules_of(row: Any) -> int:
    from assessor.results.publications import rules_of  # publications imports these schemas

    return rules_of(row)


class PublicationSchema(PublicationRefSchema):
    rules = ma.fields.Function(
        _rules_of,
        metadata={"description": "The rule set of scoring.md it was computed with: 1 or 2."},
    )
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
    responses_as_of = ma.fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "Set while the campaign is not published and the token is not"
            " `admin`: the counts are as at the end of this day, null below min_respondents."
        },
    )
    scoring = ma.fields.Nested(ScoringSchema, required=True)
    publication = _publication()
    overall = ma.fields.Nested(MeasureSchema, required=True)
    domains = _domains(MeasureSchema)
    gap = ma.fields.Nested(GapSchema, required=True)
    trend = ma.fields.Nested(TrendSchema, required=True)


ResultPageSchema = page_schema(ResultSchema, "ResultPageSchema")


RungShareSchema = _suppressible("RungShareSchema", met_share=_nullable_float(), n=_count())
ItemShareSchema = _suppressible(
    "ItemShareSchema", dont_know=_nullable_float(), not_happening=_nullable_float(), n=_count()
)


class AudienceProfileSchema(ma.Schema):
    rungs = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(RungShareSchema)),
        required=True,
        metadata={"description": "domain -> rung -> share of respondents meeting it"},
    )
    items = _keyed(ItemShareSchema, "link_id -> shares of don't know and does not happen here")


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
