"""GET /api/v1/questionnaires, one version's normalised definition, and its FHIR form."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, abort, current_app, json
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from assessor.extensions import db
from assessor.models import QuestionnaireVersion
from assessor.questionnaires.definition import ITEM_TYPES
from assessor.questionnaires.fhir import DEFAULT_URL_BASE, questionnaire_to_fhir
from assessor.questionnaires.publishing import definition_of
from assessor.web.errors import problem
from assessor.web.operations import read_operation
from assessor.web.paging import ListArgs, page_of_query, page_schema
from assessor.web.schemas import required_list

blp = Blueprint(
    "questionnaires", __name__, url_prefix="/api/v1", description="Questionnaire versions."
)

FHIR_JSON = "application/fhir+json"
STATUSES = ("draft", "published", "retired")
#: Lifecycle status here -> FHIR Questionnaire.status.
FHIR_STATUS = {"draft": "draft", "published": "active", "retired": "retired"}
KEY_PARAMETER = {
    "in": "path",
    "name": "key",
    "schema": {"type": "string"},
    "example": "engagement-maturity",
}
#: Versions are 32-bit integers in the database; a larger number names no version.
MAX_VERSION = 2**31 - 1
VERSION_PARAMETER = {
    "in": "path",
    "name": "version",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
    "example": 2,
}


class QuestionnaireSummarySchema(ma.Schema):
    key = ma.fields.String(required=True, metadata={"example": "engagement-maturity"})
    version = ma.fields.Integer(required=True, metadata={"example": 2})
    title = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    checksum = ma.fields.String(required=True, metadata={"description": "sha256, hex"})
    published_at = ma.fields.DateTime(required=True, allow_none=True)
    audiences = ma.fields.List(ma.fields.String(), required=True)


class RungSchema(ma.Schema):
    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    description = ma.fields.String(required=True)


class DomainSchema(ma.Schema):
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)


class OptionSchema(ma.Schema):
    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class PrincipleSchema(ma.Schema):
    key = ma.fields.String(required=True, metadata={"example": "p1"})
    framework = ma.fields.String(
        required=True,
        metadata={
            "description": "nhse-2022: NHS England's ten principles for working with people "
            "and communities (2022); iaf: the IAF engagement criteria A-E",
            "example": "nhse-2022",
        },
    )
    label = ma.fields.String(required=True)


class EnableWhenSchema(ma.Schema):
    link_id = ma.fields.String(required=True)
    answer = ma.fields.String(required=True)


class ItemSchema(ma.Schema):
    link_id = ma.fields.String(required=True)
    concept = ma.fields.String(required=True)
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(ITEM_TYPES))
    text = ma.fields.String(required=True)
    domain = ma.fields.String(required=True, allow_none=True)
    rung = ma.fields.String(required=True, allow_none=True)
    options = required_list(
        OptionSchema,
        "single_choice items only; agreement items use the fixed scale"
        " strongly_disagree..strongly_agree, dont_know, and not_happening where the version's"
        " not_happening is true",
    )
    text_for = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)
    help = ma.fields.String(required=True, allow_none=True)
    required = ma.fields.Boolean(required=True)
    enable_when = ma.fields.Nested(EnableWhenSchema, required=True, allow_none=True)
    principles = ma.fields.List(
        ma.fields.String(),
        dump_default=list,
        metadata={"description": "keys of the version's principles this scored item evidences"},
    )


class QuestionnaireSchema(QuestionnaireSummarySchema):
    revises = ma.fields.Integer(required=True, allow_none=True)
    threshold = ma.fields.Float(required=True)
    rungs = ma.fields.List(ma.fields.Nested(RungSchema), required=True)
    domains = ma.fields.List(ma.fields.Nested(DomainSchema), required=True)
    items = ma.fields.List(ma.fields.Nested(ItemSchema), required=True)
    not_happening = ma.fields.Boolean(
        dump_default=False,
        metadata={"description": 'agreement items also offer "This does not happen here" (0)'},
    )
    definitions = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        dump_default=dict,
        metadata={"description": "plain-words definitions, e.g. patient_leader (version 3 on)"},
    )
    principles = ma.fields.List(
        ma.fields.Nested(PrincipleSchema),
        dump_default=list,
        metadata={"description": "what items are mapped to, for reports (version 3 on)"},
    )


QuestionnairePageSchema = page_schema(QuestionnaireSummarySchema, "QuestionnairePageSchema")

FHIR_QUESTIONNAIRE_DOC = {
    "type": "object",
    "description": "An HL7 FHIR R4 Questionnaire resource.",
    "properties": {"resourceType": {"type": "string", "enum": ["Questionnaire"]}},
    "required": ["resourceType"],
}


def fhir_url_base() -> str:
    return current_app.config.get("FHIR_URL_BASE") or DEFAULT_URL_BASE


def summary(row: QuestionnaireVersion) -> dict[str, Any]:
    return {
        "key": row.key,
        "version": row.version,
        "title": row.title,
        "status": row.status,
        "checksum": row.checksum,
        "published_at": row.published_at,
        "audiences": list(definition_of(row).audiences),
    }


def _version_or_404(key: str, version: int) -> QuestionnaireVersion:
    row = None
    if 1 <= version <= MAX_VERSION:
        row = db.session.scalar(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.key == key, QuestionnaireVersion.version == version
            )
        )
    if row is None:
        abort(problem(404, "Not Found", f"There is no questionnaire {key} version {version}."))
    return row


@blp.route("/questionnaires")
class Questionnaires(MethodView):
    @read_operation(blp, "results:read", QuestionnairePageSchema, (400, 422), query=ListArgs)
    def get(self, **args: Any) -> Any:
        """Every questionnaire version (draft, published, retired), by key then version"""
        return page_of_query(
            QuestionnaireVersion,
            args,
            order_by=[QuestionnaireVersion.key, QuestionnaireVersion.version],
            pin_by=QuestionnaireVersion.id,
            dump=summary,
        )


@blp.route("/questionnaires/<key>/<int:version>", parameters=[KEY_PARAMETER, VERSION_PARAMETER])
class QuestionnaireVersionView(MethodView):
    @read_operation(blp, "results:read", QuestionnaireSchema, (404,))
    def get(self, key: str, version: int) -> Any:
        """One version's whole normalised definition"""
        row = _version_or_404(key, version)
        body = definition_of(row).to_dict()
        body.update(summary(row))
        return body


@blp.route(
    "/questionnaires/<key>/<int:version>/fhir", parameters=[KEY_PARAMETER, VERSION_PARAMETER]
)
class QuestionnaireFhir(MethodView):
    @read_operation(blp, "results:read", FHIR_QUESTIONNAIRE_DOC, (404,), content_type=FHIR_JSON)
    def get(self, key: str, version: int) -> Any:
        """One version as an HL7 FHIR R4 Questionnaire"""
        row = _version_or_404(key, version)
        resource = questionnaire_to_fhir(
            definition_of(row),
            url_base=fhir_url_base(),
            status=FHIR_STATUS.get(row.status, "unknown"),
            published_at=row.published_at,
        )
        return Response(json.dumps(resource), mimetype=FHIR_JSON)
