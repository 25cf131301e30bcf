"""Schemas shared by several API resources. Each resource's own schemas sit in its module."""

from __future__ import annotations

import marshmallow as ma


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document: every error of this API."""

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={
            "description": "Validation failures: field path -> messages,"
            ' e.g. {"answers.gov-3": ["\'maybe\' is not an option of gov-3"]}.'
        },
    )


class QuestionnaireRefSchema(ma.Schema):
    key = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)


class AudienceCountsSchema(ma.Schema):
    """Response counts. While a campaign is not yet published, a reader without the `admin`
    scope sees counts as at the end of the previous day, and null for a count below the
    campaign's `min_respondents` ("fewer than k", scoring.md s.6)."""

    staff = ma.fields.Integer(required=True, allow_none=True)
    patient_leader = ma.fields.Integer(required=True, allow_none=True)


def required_list(item: type[ma.Schema], description: str) -> ma.fields.List:
    """A required list of nested `item` objects, documented by `description`."""
    return ma.fields.List(
        ma.fields.Nested(item), required=True, metadata={"description": description}
    )
