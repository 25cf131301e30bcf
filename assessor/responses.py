"""Submitting and voiding responses.

Validation collects every problem with a field path (`answers.<link_id>`) before anything
is stored; a submission is stored, scored and added to its cell statistics in one
transaction, so a response is never half-counted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from assessor.extensions import db
from assessor.models import AuditEvent, Campaign, CampaignOrganisation, Response, utcnow
from assessor.models.campaign import AUDIENCES
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of


class AnswerErrors(ValueError):
    """Validation failures, keyed by field path, each with a list of messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def canonical_digest(body: Any) -> str:
    """sha256 of canonical JSON: key order and spacing do not matter."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def visible(q: Questionnaire, answers: Mapping[str, Any], link_id: str) -> bool:
    """Whether an item is shown, given the answers so far (its enable_when, recursively:
    an item that depends on a hidden item is hidden too)."""
    item = q.item(link_id)
    condition = item.enable_when
    if condition is None:
        return True
    if not visible(q, answers, condition.link_id):
        return False
    return answers.get(condition.link_id) == condition.answer


def validate_answers(
    q: Questionnaire, audience: str, answers: Any, prefix: str = "answers"
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if audience not in q.audiences:
        errors["audience"] = [f"{audience!r} is not an audience of this questionnaire"]
    if not isinstance(answers, Mapping):
        errors[prefix] = ["must be an object from link_id to answer"]
        return errors
    known = {item.link_id: item for item in q.items}
    for link_id, answer in answers.items():
        path = f"{prefix}.{link_id}"
        item = known.get(link_id)
        if item is None:
            errors[path] = [f"{link_id!r} is not an item of this questionnaire"]
            continue
        if not isinstance(answer, str):
            errors[path] = [f"the answer to {link_id} must be a string"]
            continue
        if item.type == "text":
            if len(answer) > 5000:
                errors[path] = [f"the answer to {link_id} is longer than 5000 characters"]
        elif answer not in item.option_keys():
            errors[path] = [f"{answer!r} is not an option of {link_id}"]
            continue
        if not visible(q, answers, link_id):
            errors.setdefault(path, []).append(
                f"{link_id} is not asked given the answer to {item.enable_when.link_id}"  # type: ignore[union-attr]
            )
    for item in q.items:
        if item.required and item.link_id not in answers and visible(q, answers, item.link_id):
            errors[f"{prefix}.{item.link_id}"] = [f"{item.link_id} is required"]
    return errors


def find_by_submission_id(campaign: Campaign, submission_id: str) -> Response | None:
    return db.session.scalar(
        select(Response).where(
            Response.campaign_id == campaign.id, Response.submission_id == submission_id
        )
    )


def check_submission(campaign: Campaign, org_code: Any, audience: Any, answers: Any) -> None:
    """Raise AnswerErrors with every problem of a submission to this campaign."""
    errors: dict[str, list[str]] = {}
    if not isinstance(org_code, str) or (
        db.session.get(CampaignOrganisation, (campaign.id, org_code)) is None
    ):
        errors["organisation"] = [f"{org_code!r} is not an organisation in this campaign"]
    if audience not in AUDIENCES:
        errors["audience"] = ["must be one of staff, patient_leader"]
    q = definition_of(campaign.questionnaire)
    errors.update(validate_answers(q, audience if isinstance(audience, str) else "", answers))
    if errors:
        raise AnswerErrors(errors)


def submit(
    campaign: Campaign,
    org_code: str,
    audience: str,
    answers: dict[str, str],
    *,
    submission_id: str | None = None,
    body_digest: str | None = None,
) -> Response:
    """Validate, store, score and count one submitted response (flushes, never commits)."""
    from assessor import results

    check_submission(campaign, org_code, audience, answers)
    now = utcnow()
    response = Response(
        campaign_id=campaign.id,
        org_code=org_code,
        audience=audience,
        questionnaire_version_id=campaign.questionnaire_version_id,
        answers=dict(answers),
        status="submitted",
        submission_id=submission_id,
        body_digest=body_digest,
        created_at=now,
        updated_at=now,
        submitted_at=now,
    )
    db.session.add(response)
    db.session.flush()
    response.scores = results.record_response(response, campaign)
    db.session.flush()
    return response


def void(response: Response, reason: str, actor: str) -> None:
    """Remove a fraudulent or test response from every result, keeping an audit record."""
    from assessor import results

    if response.status != "submitted":
        raise ValueError(f"response {response.id} is {response.status}, not submitted")
    if not reason.strip():
        raise ValueError("a reason is required to void a response")
    campaign = db.session.get(Campaign, response.campaign_id)
    assert campaign is not None
    results.record_response(response, campaign, sign=-1)
    now = utcnow()
    response.status = "voided"
    response.voided_at = now
    response.updated_at = now
    response.void_reason = reason
    db.session.add(
        AuditEvent(
            actor=actor,
            action="response.void",
            details={"response": response.id, "campaign": campaign.slug, "reason": reason},
            at=now,
        )
    )
    db.session.flush()
