"""Free-text answers on the organisation page: who may see them, and an administrator's hide.

Shown only once the campaign's results are published, and only for a cell (organisation,
audience) with at least `MIN_COMMENT_RESPONDENTS` submitted responses, in random order, as
text alone: nothing about who wrote them. A hidden answer is marked inside its response's
answers under a reserved key (never a questionnaire link id, so no export or rescoring sees
it), and every hide is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from assessor.extensions import db
from assessor.models import AuditEvent, Campaign, Response, utcnow
from assessor.questionnaires.definition import Questionnaire
from assessor.results import latest
from assessor.results.snapshot import AUDIENCES

MIN_COMMENT_RESPONDENTS = 10
#: Reserved key in `Response.answers`: link ids of free-text answers an administrator hid.
HIDDEN_KEY = "__hidden__"


@dataclass(frozen=True)
class Comment:
    question: str
    text: str
    #: An opaque reference for the hide form: an HMAC, so it says nothing about the response
    #: and two answers of one respondent cannot be linked by it.
    ref: str


@dataclass(frozen=True)
class CommentCell:
    audience: str
    respondents: int
    shown: bool
    comments: list[Comment]


def _ref(response: Response, link_id: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"comment:{response.campaign_id}:{response.id}:{link_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _submitted(campaign: Campaign, org_code: str, audience: str | None = None) -> select:
    query = select(Response).where(
        Response.campaign_id == campaign.id,
        Response.org_code == org_code,
        Response.status == "submitted",
    )
    return query if audience is None else query.where(Response.audience == audience)


def comments_for(
    campaign: Campaign, q: Questionnaire, org_code: str, rng: random.Random | None = None
) -> list[CommentCell] | None:
    """The organisation's free-text answers by audience, or None while unpublished."""
    if latest(campaign) is None:
        return None
    text_items = [item for item in q.items if item.type == "text"]
    cells = []
    for audience in AUDIENCES:
        count = db.session.scalar(
            select(func.count()).select_from(_submitted(campaign, org_code, audience).subquery())
        )
        if count < MIN_COMMENT_RESPONDENTS:
            cells.append(CommentCell(audience, count, False, []))
            continue
        found = []
        for response in db.session.scalars(_submitted(campaign, org_code, audience)):
            answers = response.answers or {}
            hidden = set(answers.get(HIDDEN_KEY) or [])
            for item in text_items:
                text = answers.get(item.link_id)
                if isinstance(text, str) and text.strip() and item.link_id not in hidden:
                    question = item.text_for_audience(audience)
                    found.append(Comment(question, text.strip(), _ref(response, item.link_id)))
        (rng or random.SystemRandom()).shuffle(found)
        cells.append(CommentCell(audience, count, True, found))
    return cells


def hide_comment(campaign: Campaign, org_code: str, ref: str, actor: str) -> bool:
    """Hide the free-text answer with this reference; False when there is none."""
    for response in db.session.scalars(_submitted(campaign, org_code)):
        answers = dict(response.answers or {})
        for link_id, value in answers.items():
            if link_id == HIDDEN_KEY or not isinstance(value, str):
                continue
            if hmac.compare_digest(_ref(response, link_id), ref):
                hidden = sorted({*(answers.get(HIDDEN_KEY) or []), link_id})
                response.answers = {**answers, HIDDEN_KEY: hidden}
                db.session.add(
                    AuditEvent(
                        actor=actor,
                        action="comment.hide",
                        details={
                            "campaign": campaign.slug,
                            "organisation": org_code,
                            "response": response.id,
                            "item": link_id,
                        },
                        at=utcnow(),
                    )
                )
                db.session.flush()
                return True
    return False
