"""Record-level responses: the export (responses:read), one response as FHIR, and
submission (responses:write).

The export is for analysts under a data-sharing agreement: it carries the answers to scored
and choice items only, never free text (which may identify a person), and every export
request is written to the audit log with the token's name, the campaign and the filters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import marshmallow as ma
from flask import Response, json, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from assessor.auth.bearer import current_token, require_scope
from assessor.campaigns.api import SLUG_PARAMETER, campaign_or_404
from assessor.campaigns.service import get_campaign
from assessor.extensions import db
from assessor.models import AuditEvent, Campaign, QuestionnaireVersion, utcnow
from assessor.models import Response as ResponseRow
from assessor.models.campaign import AUDIENCES
from assessor.questionnaires.api import FHIR_JSON, fhir_url_base
from assessor.questionnaires.definition import Questionnaire, canonical_digest
from assessor.questionnaires.fhir import response_to_fhir
from assessor.questionnaires.publishing import definition_of
from assessor.responses import submission as service
from assessor.web.api import problem_responses
from assessor.web.errors import flatten_messages, problem
from assessor.web.limits import api_submissions_limit, limiter, token_key
from assessor.web.operations import read_operation
from assessor.web.paging import ListArgs, page, page_schema, read_cursor
from assessor.web.schemas import QuestionnaireRefSchema

blp = Blueprint("responses", __name__, url_prefix="/api/v1", description="Record-level responses.")

EXPORTED_STATES = ("submitted", "voided")
EXPORTED_ITEM_TYPES = ("agreement", "fact", "single_choice")
#: werkzeug's name for 422, as in the query-argument errors webargs raises.
INVALID = "Unprocessable Entity"
ID_PARAMETER = {"in": "path", "name": "response_id", "schema": {"type": "string"}}


# --------------------------------------------------------------------------- schemas


class ExportedResponseSchema(ma.Schema):
    """A submitted response, or a voided one's tombstone: `{"id", "voided": true}` only."""

    id = ma.fields.String(required=True, metadata={"description": "Random and opaque."})
    voided = ma.fields.Boolean(required=True)
    organisation = ma.fields.String(metadata={"description": "Organisation code."})
    audience = ma.fields.String(validate=ma.validate.OneOf(AUDIENCES))
    questionnaire = ma.fields.Nested(QuestionnaireRefSchema)
    submitted_on = ma.fields.Date()
    answers = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"description": "link_id -> option key, for scored and choice items only."},
    )


ExportedResponsePageSchema = page_schema(ExportedResponseSchema, "ExportedResponsePageSchema")


class ExportArgs(ListArgs):
    updated_since = ma.fields.Date(
        metadata={
            "description": "Only responses submitted or voided on or after this UTC day"
            " (`YYYY-MM-DD`; a time of day is refused: none is kept), for nightly increments."
        },
    )


class SubmissionSchema(ma.Schema):
    submission_id = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "Chosen by the client; resending the same body is safe."},
    )
    organisation = ma.fields.String(required=True, metadata={"example": "00L"})
    audience = ma.fields.String(required=True, validate=ma.validate.OneOf(AUDIENCES))
    # Checked here as an object only: JSON keys are always strings, and each value is checked
    # against the questionnaire by the service, with its field path. Key and value fields
    # would add two marshmallow calls per answer and no check.
    answers = ma.fields.Dict(
        required=True,
        metadata={
            "description": "link_id -> option key (or text, for free-text items).",
            "additionalProperties": {"type": "string"},
        },
    )


class ScoresSchema(ma.Schema):
    overall = ma.fields.Float(required=True, allow_none=True)
    domains = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Float(allow_none=True), required=True
    )


class SubmittedSchema(ma.Schema):
    id = ma.fields.String(required=True)
    scores = ma.fields.Nested(ScoresSchema, required=True)


FHIR_RESPONSE_DOC = {
    "type": "object",
    "description": "An HL7 FHIR R4 QuestionnaireResponse resource (no free-text answers).",
    "properties": {"resourceType": {"type": "string", "enum": ["QuestionnaireResponse"]}},
    "required": ["resourceType"],
}


# --------------------------------------------------------------------------- helpers


class _Definitions:
    """Questionnaire definitions by version id, loaded once per request."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[QuestionnaireVersion, Questionnaire]] = {}

    def get(self, version_id: int) -> tuple[QuestionnaireVersion, Questionnaire]:
        if version_id not in self._rows:
            row = db.session.get(QuestionnaireVersion, version_id)
            assert row is not None
            self._rows[version_id] = (row, definition_of(row))
        return self._rows[version_id]


def exported_answers(q: Questionnaire, answers: dict[str, Any]) -> dict[str, str]:
    """Answers to scored and choice items only: free text never leaves through the API."""
    kept = {item.link_id for item in q.items if item.type in EXPORTED_ITEM_TYPES}
    return {link_id: answer for link_id, answer in answers.items() if link_id in kept}


def export_item(row: ResponseRow, definitions: _Definitions) -> dict[str, Any]:
    if row.status == "voided":
        return {"id": row.id, "voided": True}
    version, q = definitions.get(row.questionnaire_version_id)
    submitted = row.submitted_at or row.created_at
    return {
        "id": row.id,
        "organisation": row.org_code,
        "audience": row.audience,
        "questionnaire": {"key": version.key, "version": version.version},
        "submitted_on": submitted.date(),
        "answers": exported_answers(q, row.answers or {}),
        "voided": False,
    }


def _audit_export(campaign: Campaign, action: str, details: dict[str, Any]) -> None:
    token = current_token()
    db.session.add(
        AuditEvent(
            actor=token.name,
            action=action,
            at=utcnow(),
            details={"token_id": token.id, "campaign": campaign.slug, **details},
        )
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _read_body() -> tuple[Any, str | None]:
    """The JSON body and its canonical digest; (None, None) when it is not JSON, or holds a
    NUL character (which no answer needs and PostgreSQL cannot store in text). An empty
    body reads as null, to be refused by validation."""
    raw = request.get_data()
    if not raw.strip():
        return None, canonical_digest(None)
    try:
        body = json.loads(raw)
        if _has_nul(body):
            return None, None
        return body, canonical_digest(body)
    except (ValueError, RecursionError):
        return None, None


def _all_errors(campaign: Campaign, body: Any, exc: ma.ValidationError) -> dict[str, list[str]]:
    """The body's shape errors, with the answers' own problems where the shape allows
    checking them, so that a client learns everything wrong in one round trip."""
    errors = flatten_messages(exc.messages)
    if isinstance(body, dict):
        try:
            service.check_submission(
                campaign, body.get("organisation"), body.get("audience"), body.get("answers")
            )
        except service.AnswerErrors as more:
            for path, messages in more.errors.items():
                errors.setdefault(path, messages)
    return errors


#: Built once: a schema's construction costs more than loading one submission.
_SUBMISSION = SubmissionSchema()
_SUBMITTED = SubmittedSchema()


def _submitted(response: ResponseRow, status: int) -> Response:
    scores = (response.scores or {}).get("full") or {"overall": None, "domains": {}}
    body = _SUBMITTED.dump({"id": response.id, "scores": scores})
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _replay(campaign: Campaign, submission_id: str, digest: str) -> Response | None:
    """200 with the stored id when this submission was already stored with the same body;
    409 when it was stored with another body; None when it is new."""
    stored = service.find_by_submission_id(campaign, submission_id)
    if stored is None:
        return None
    if stored.body_digest == digest:
        return _submitted(stored, 200)
    return problem(
        409,
        "Conflict",
        f"submission_id {submission_id!r} was already used in this campaign with a different"
        " body; a resent submission must be identical.",
    )


# --------------------------------------------------------------------------- views


@blp.route("/campaigns/<slug>/responses", parameters=[SLUG_PARAMETER])
class CampaignResponses(MethodView):
    @read_operation(
        blp, "responses:read", ExportedResponsePageSchema, (400, 404, 422), query=ExportArgs
    )
    def get(self, slug: str, **args: Any) -> Any:
        """The record-level export, in submission order (audited)

        Submitted responses with their answers to scored and choice items (never free
        text); a voided response appears as `{"id", "voided": true}`. With
        `updated_since`, only responses submitted or voided since then. Every request is
        written to the audit log.
        """
        campaign = campaign_or_404(slug)
        cursor = read_cursor(args)
        conditions = [
            ResponseRow.campaign_id == campaign.id,
            ResponseRow.status.in_(EXPORTED_STATES),
        ]
        if args.get("updated_since") is not None:
            since = datetime.combine(args["updated_since"], time.min, tzinfo=UTC)
            conditions.append(ResponseRow.updated_at >= since)
        if cursor is not None:
            pin = cursor.pin
        else:
            pin = db.session.scalar(select(func.max(ResponseRow.seq)).where(*conditions)) or 0
        conditions.append(ResponseRow.seq <= pin)
        total = db.session.scalar(select(func.count()).select_from(ResponseRow).where(*conditions))
        query = select(ResponseRow).where(*conditions)
        if cursor is not None:
            query = query.where(ResponseRow.seq > cursor.after)
        limit = args["limit"]
        rows = db.session.scalars(query.order_by(ResponseRow.seq).limit(limit + 1)).all()
        chunk = rows[:limit]
        definitions = _Definitions()
        items = [export_item(row, definitions) for row in chunk]
        _audit_export(
            campaign,
            "responses.export",
            {
                "filters": {
                    "updated_since": args["updated_since"].isoformat()
                    if args.get("updated_since")
                    else None,
                },
                "limit": limit,
                "continued": cursor is not None,
                "returned": len(items),
            },
        )
        return page(
            items,
            int(total or 0),
            args,
            more=len(rows) > limit,
            pin=pin,
            after=chunk[-1].seq if chunk else None,
        )

    @require_scope("responses:write")
    @limiter.limit(
        api_submissions_limit,
        key_func=token_key,
        error_message="Too many submissions with this token; retry after Retry-After seconds.",
    )
    @problem_responses(400, 404, 409, 413, 422, 429)
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": SubmissionSchema}},
        }
    )
    @blp.response(201, SubmittedSchema)
    @blp.alt_response(
        200, schema=SubmittedSchema, description="Already stored (a resend).", success=True
    )
    def post(self, slug: str) -> Any:
        """Submit one response collected elsewhere

        Checked in this order: body over 64 KiB (413); token (401/403); unknown campaign
        (404); the same `submission_id` already stored in this campaign: 200 with the same
        `id` when the body is the same JSON, else 409; campaign not open (409); invalid (422,
        with field paths in `errors`). Otherwise stored and scored: 201.
        """
        campaign = campaign_or_404(slug)
        body, digest = _read_body()
        submission_id = body.get("submission_id") if isinstance(body, dict) else None

        def refuse(refusal: Callable[[], Response]) -> Response:
            """A resend's answer when this is one, else the refusal: the resend check comes
            before any other refusal."""
            if isinstance(submission_id, str) and digest is not None:
                replay = _replay(campaign, submission_id, digest)
                if replay is not None:
                    return replay
            return refusal()

        # A new, valid submission (the common case) is simply inserted: a resend is found by
        # the unique submission_id at insert, and answered below, saving a look-up per
        # submission. Before any refusal the resend check runs first, as documented.
        if campaign.status != "open":
            return refuse(
                lambda: problem(
                    409, "Conflict", f"Campaign {slug!r} is {campaign.status}, not open."
                )
            )
        if digest is None:
            return problem(
                400, "Bad Request", "The body is not valid JSON (or holds a NUL character)."
            )
        try:
            data = _SUBMISSION.load(body if body is not None else {})
        except ma.ValidationError as exc:
            shape = exc  # the name `exc` is unbound when the except block ends
            return refuse(
                lambda: problem(
                    422,
                    INVALID,
                    "The response is not valid.",
                    errors=_all_errors(campaign, body, shape),
                )
            )
        try:
            stored = service.submit(
                campaign,
                data["organisation"],
                data["audience"],
                data["answers"],
                submission_id=data["submission_id"],
                body_digest=digest,
            )
        except service.AnswerErrors as exc:
            errors = exc.errors
            return refuse(
                lambda: problem(422, INVALID, "The response is not valid.", errors=errors)
            )
        except IntegrityError:
            # This submission_id is stored already (a resend), or another request stored it
            # between our insert and theirs: the unique constraint kept one.
            db.session.rollback()
            campaign = get_campaign(slug)
            replay = _replay(campaign, data["submission_id"], digest) if campaign else None
            if replay is None:
                raise
            return replay
        return _submitted(stored, 201)


@blp.route(
    "/campaigns/<slug>/responses/<response_id>/fhir", parameters=[SLUG_PARAMETER, ID_PARAMETER]
)
class CampaignResponseFhir(MethodView):
    @read_operation(blp, "responses:read", FHIR_RESPONSE_DOC, (404,), content_type=FHIR_JSON)
    def get(self, slug: str, response_id: str) -> Any:
        """One submitted response as an HL7 FHIR R4 QuestionnaireResponse (audited)

        Free-text answers are left out, as in the export. A voided response is answered
        with status `entered-in-error` and no answers.
        """
        campaign = campaign_or_404(slug)
        row = db.session.scalar(
            select(ResponseRow).where(
                ResponseRow.campaign_id == campaign.id,
                ResponseRow.id == response_id,
                ResponseRow.status.in_(EXPORTED_STATES),
            )
        )
        if row is None:
            return problem(
                404, "Not Found", f"Campaign {slug!r} has no submitted response {response_id!r}."
            )
        version, q = _Definitions().get(row.questionnaire_version_id)
        url = f"{fhir_url_base().removesuffix('/')}/{version.key}"
        voided = row.status == "voided"
        resource = response_to_fhir(
            q,
            response_id=row.id,
            answers={} if voided else exported_answers(q, row.answers or {}),
            # The day only, as in the export: a time of submission could identify someone.
            authored=(row.submitted_at or row.created_at).date(),
            questionnaire_url=url,
        )
        if voided:
            resource["status"] = "entered-in-error"
        _audit_export(campaign, "responses.export.fhir", {"response": row.id})
        return Response(json.dumps(resource), mimetype=FHIR_JSON)
