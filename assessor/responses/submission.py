"""Submitting and voiding responses.

Validation collects every problem with a field path (`answers.<link_id>`) before anything
is stored; a submission is stored, scored and added to its cell statistics in one
transaction, so a response is never half-counted.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from assessor.auth.tokens import hash_token
from assessor.extensions import db
from assessor.models import (
    AuditEvent,
    Campaign,
    CampaignOrganisation,
    Invitation,
    RespondentScore,
    Response,
    VerdictAnswer,
    utcnow,
)
from assessor.models.campaign import AUDIENCES
from assessor.models.response import new_response_id
from assessor.questionnaires.answers import visible
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.web.metrics import SUBMISSIONS


class AnswerErrors(ValueError):
    """Validation failures, keyed by field path, each with a list of messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def validate_answers(
    q: Questionnaire, audience: str, answers: Any, prefix: str = "answers", complete: bool = True
) -> dict[str, list[str]]:
    """Every problem of a set of answers, by field path. With complete=False (a page saved
    part-way through a survey) only the answers themselves are checked: not whether required
    items are missing, nor whether an earlier answer now hides an item."""
    errors: dict[str, list[str]] = {}
    if audience not in q.audiences:
        errors["audience"] = [f"{audience!r} is not an audience of this questionnaire"]
    if not isinstance(answers, Mapping):
        errors[prefix] = ["must be an object from link_id to answer"]
        return errors
    known = q.items_by_link_id
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
        if complete and not visible(q, answers, link_id):
            errors.setdefault(path, []).append(
                f"{link_id} is not asked given the answer to {item.enable_when.link_id}"  # type: ignore[union-attr]
            )
    for item in q.items if complete else ():
        if item.required and item.link_id not in answers and visible(q, answers, item.link_id):
            errors[f"{prefix}.{item.link_id}"] = [f"{item.link_id} is required"]
    return errors


def today_utc() -> datetime:
    """Midnight UTC today: the only time kept for a submitted or voided response, so that no
    field, filter or cursor can tell when within a day someone answered."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


_BY_SUBMISSION_ID = (
    select(Response)
    .options(joinedload(Response.score_row))
    .where(
        Response.campaign_id == bindparam("campaign_id"),
        Response.submission_id == bindparam("submission_id"),
    )
)


def find_by_submission_id(campaign: Campaign, submission_id: str) -> Response | None:
    """The response stored with this submission_id, with its scores (a resend is answered
    with them), in one query."""
    return db.session.scalar(
        _BY_SUBMISSION_ID, {"campaign_id": campaign.id, "submission_id": submission_id}
    )


def _cell_errors(campaign: Campaign, org_code: Any, audience: Any) -> dict[str, list[str]]:
    """Problems with the (organisation, audience) a response is for."""
    errors: dict[str, list[str]] = {}
    if not isinstance(org_code, str) or (
        db.session.get(CampaignOrganisation, (campaign.id, org_code)) is None
    ):
        errors["organisation"] = [f"{org_code!r} is not an organisation in this campaign"]
    if audience not in AUDIENCES:
        errors["audience"] = ["must be one of staff, patient_leader"]
    return errors


def check_submission(campaign: Campaign, org_code: Any, audience: Any, answers: Any) -> None:
    """Raise AnswerErrors with every problem of a submission to this campaign."""
    errors = _cell_errors(campaign, org_code, audience)
    q = definition_of(campaign.questionnaire)
    errors.update(validate_answers(q, audience if isinstance(audience, str) else "", answers))
    if errors:
        raise AnswerErrors(errors)


#: A new submission is written with Core INSERTs rather than a unit-of-work flush: the
#: flush's bookkeeping cost three times the CPU of the statements, on the busiest write path.
_INSERT_RESPONSE = insert(Response).returning(Response.seq)
_INSERT_SCORES = insert(RespondentScore)
_RESPONSE_COLUMNS = [column for column in Response.__table__.c if column.name != "seq"]
_RESPONSE_COLUMN_NAMES = [column.name for column in _RESPONSE_COLUMNS]
_NEW_RESPONSE = (
    insert(Response)
    .values({c.name: bindparam(c.name, type_=c.type) for c in _RESPONSE_COLUMNS})
    .returning(Response.seq)
    .cte("new_response")
)
#: PostgreSQL: both rows in one statement (a data-modifying WITH), one round trip.
_INSERT_BOTH = (
    insert(RespondentScore)
    .from_select(
        ["response_seq", "scores"],
        select(_NEW_RESPONSE.c.seq, bindparam("scores", type_=RespondentScore.scores.type)),
    )
    .returning(RespondentScore.response_seq)
)


def submit(
    campaign: Campaign,
    org_code: str,
    audience: str,
    answers: dict[str, str],
    *,
    submission_id: str | None = None,
    body_digest: str | None = None,
) -> Response:
    """Validate, store, score and count one submitted response (never commits). Returns the
    stored response, persistent in the session with its scores."""
    from assessor import results

    q = definition_of(campaign.questionnaire)
    errors = validate_answers(q, audience if isinstance(audience, str) else "", answers)
    if errors or audience not in AUDIENCES:
        check_submission(campaign, org_code, audience, answers)
    # Claiming the cell row (its lock, and the count) doubles as the membership check: an
    # organisation outside the campaign has no cell, and then nothing has changed.
    claimed = results.cells.claim_cell(campaign.id, org_code, audience, 1)
    if claimed is None:
        raise AnswerErrors(_cell_errors(campaign, org_code, audience))
    day = today_utc()
    # Every column named (None where unset): the statement binds each one.
    values: dict[str, Any] = dict.fromkeys(_RESPONSE_COLUMN_NAMES) | {
        "id": new_response_id(),
        "campaign_id": campaign.id,
        "org_code": org_code,
        "audience": audience,
        "questionnaire_version_id": campaign.questionnaire_version_id,
        "answers": dict(answers),
        "status": "submitted",
        "submission_id": submission_id,
        "body_digest": body_digest,
        "created_at": day,
        "updated_at": day,
        "submitted_at": day,
    }
    response = Response(**values)
    scores = results.record_response(response, campaign, claimed=claimed)
    connection = db.session.connection()
    # A resend of a stored submission_id fails here, on the unique constraint.
    if connection.dialect.name == "postgresql":
        response.seq = connection.execute(_INSERT_BOTH, {**values, "scores": scores}).scalar_one()
    else:
        response.seq = connection.execute(_INSERT_RESPONSE, values).scalar_one()
        connection.execute(_INSERT_SCORES, {"response_seq": response.seq, "scores": scores})
    SUBMISSIONS.labels(audience).inc()
    return _as_loaded(response, RespondentScore(response_seq=response.seq, scores=scores))


def _as_loaded(response: Response, score_row: RespondentScore) -> Response:
    """Objects whose rows were just inserted, made persistent in the session as if loaded,
    without a query."""
    make_transient_to_detached(response)
    make_transient_to_detached(score_row)
    db.session.add(response)
    db.session.add(score_row)
    set_committed_value(response, "score_row", score_row)
    set_committed_value(score_row, "response", response)
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
    db.session.execute(delete(VerdictAnswer).where(VerdictAnswer.response_seq == response.seq))
    latest = results.latest(campaign)
    response.voided_after = latest.number if latest is not None else 0
    now = today_utc()
    response.status = "voided"
    response.voided_at = now
    response.updated_at = now
    response.void_reason = reason
    db.session.add(
        AuditEvent(
            actor=actor,
            action="response.void",
            details={"response": response.id, "campaign": campaign.slug, "reason": reason},
            at=utcnow(),
        )
    )
    db.session.flush()


# --------------------------------------------------------------------------- in progress
#
# The survey pages keep a respondent's answers in an in-progress response between pages,
# reachable only through an opaque resume token that is stored hashed and forgotten at
# submission. Nothing in progress is counted in any result.


class SurveyClosed(ValueError):
    """The campaign is not open, so answers can be neither started nor submitted."""


class AlreadySubmitted(ValueError):
    """Another request submitted this response first (a double click on Submit)."""


def _require_open(campaign: Campaign) -> None:
    if campaign.status != "open":
        raise SurveyClosed(f"campaign {campaign.slug!r} is {campaign.status}, not open")


class InvitationUsed(AlreadySubmitted):
    """The invitation this response was started from has been used by another response."""


def start(
    campaign: Campaign, org_code: str, audience: str, invitation_id: int | None = None
) -> tuple[Response, str]:
    """Begin an in-progress response (from an invitation, when given); returns it with its
    raw resume token."""
    _require_open(campaign)
    errors = _cell_errors(campaign, org_code, audience)
    if errors:
        raise AnswerErrors(errors)
    raw = secrets.token_urlsafe(24)
    now = utcnow()
    response = Response(
        campaign_id=campaign.id,
        org_code=org_code,
        audience=audience,
        questionnaire_version_id=campaign.questionnaire_version_id,
        answers={},
        status="in_progress",
        resume_token_hash=hash_token(raw),
        invitation_id=invitation_id,
        created_at=now,
        updated_at=now,
        # Known to have no scores yet: saves a query when scoring assigns them.
        score_row=None,
    )
    db.session.add(response)
    db.session.flush()
    return response, raw


def _use_invitation(invitation_id: int) -> None:
    """Mark the invitation used, once: of several responses started from one link (in
    several browsers), only the first to be submitted counts."""
    from assessor.campaigns import invitations

    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise InvitationUsed(f"invitation {invitation_id} no longer exists")
    try:
        invitations.mark_used(invitation)
    except invitations.InvitationError as exc:
        raise InvitationUsed(str(exc)) from exc


#: An in-progress response untouched this long is deleted with its answers (privacy notice).
IDLE_DAYS = 30


def purge_idle(days: int = IDLE_DAYS) -> int:
    """Delete in-progress responses not saved for `days` days, partial answers and free text
    with them; returns how many. Nothing in progress is counted anywhere, so no result
    changes."""
    cutoff = utcnow() - timedelta(days=days)
    return delete_in_progress(Response.updated_at < cutoff)


def delete_in_progress(*where: Any) -> int:
    """Delete in-progress responses matching `where` with everything saved beside them (the
    verdicts of their last page); SQLite enforces no cascades here. Returns how many."""
    doomed = select(Response.seq).where(Response.status == "in_progress", *where)
    db.session.execute(
        delete(VerdictAnswer)
        .where(VerdictAnswer.response_seq.in_(doomed))
        .execution_options(synchronize_session=False)
    )
    deleted = db.session.execute(
        delete(Response)
        .where(Response.status == "in_progress", *where)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return int(deleted.rowcount or 0)


def find_in_progress(raw_token: str) -> Response | None:
    """The in-progress response a resume token opens; None once it has been submitted, or
    once it has been idle for IDLE_DAYS, whether or not the daily purge has deleted it yet."""
    if not raw_token:
        return None
    response = db.session.scalar(
        select(Response).where(
            Response.resume_token_hash == hash_token(raw_token),
            Response.status == "in_progress",
        )
    )
    if response is not None and response.updated_at < utcnow() - timedelta(days=IDLE_DAYS):
        return None
    return response


def save_answers(
    response: Response, page_answers: Mapping[str, Any], page_items: Collection[str]
) -> None:
    """Store one page's answers. `page_items` are the items shown on the page: one left
    unanswered there is removed, so going back and clearing an answer really clears it.
    Raises AnswerErrors (nothing stored) for an unknown item or option."""
    campaign = db.session.get(Campaign, response.campaign_id)
    assert campaign is not None
    _require_open(campaign)
    q = definition_of(campaign.questionnaire)
    merged = {k: v for k, v in (response.answers or {}).items() if k not in page_items}
    merged.update({k: v for k, v in page_answers.items() if v not in (None, "")})
    errors = validate_answers(q, response.audience, merged, complete=False)
    if errors:
        raise AnswerErrors(errors)
    response.answers = merged
    response.updated_at = utcnow()
    db.session.flush()


def complete(response: Response) -> None:
    """Submit an in-progress response: answers to items that the final answers hide are
    dropped (the respondent changed an earlier answer), required items are checked, the
    resume token is forgotten, and the response is scored and counted."""
    from assessor import results

    campaign = db.session.get(Campaign, response.campaign_id)
    assert campaign is not None
    _require_open(campaign)
    q = definition_of(campaign.questionnaire)
    answers = dict(response.answers or {})
    answers = {k: v for k, v in answers.items() if visible(q, answers, k)}
    errors = validate_answers(q, response.audience, answers)
    if errors:
        raise AnswerErrors(errors)
    now = today_utc()
    # Claim the row with a conditional UPDATE: of two requests racing to submit the same
    # response, the second waits for the first's row lock and then finds it submitted, so a
    # response is counted once however often Submit is pressed.
    claimed = db.session.execute(
        update(Response)
        .where(Response.seq == response.seq, Response.status == "in_progress")
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise AlreadySubmitted(f"response {response.id} has already been submitted")
    if response.invitation_id is not None:
        _use_invitation(response.invitation_id)
    response.answers = answers
    response.status = "submitted"
    response.submitted_at = now
    response.updated_at = now
    response.created_at = now
    response.resume_token_hash = None
    response.invitation_id = None
    db.session.flush()
    response.scores = results.record_response(response, campaign)
    SUBMISSIONS.labels(response.audience).inc()
    db.session.flush()
