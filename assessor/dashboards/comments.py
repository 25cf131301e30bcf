"""Free-text answers on the organisation page, frozen with each publication.

A publication freezes each cell's (organisation, audience) free text as its `comments`
section, where the disclosure rule allows it (`comments_shown`, and the differencing rule
against the last publication that showed the cell), shuffled so that the order says nothing
about who wrote what. Pages read only that section, never live answers, so a void changes
nothing until the next publication. Only administrators and the organisation's own users
read it, each read audited. A hidden answer is marked inside its response's answers under a
reserved key (never a questionnaire link id), and stays out of what is shown.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from assessor import disclosure, results
from assessor.auth import roles
from assessor.extensions import db
from assessor.models import AuditEvent, Campaign, Response, utcnow
from assessor.models.campaign import AUDIENCES
from assessor.questionnaires.publishing import definition_of

#: The name under which each publication freezes the free text it shows.
SECTION = "comments"
#: Reserved key in `Response.answers`: link ids of free-text answers an administrator hid.
HIDDEN_KEY = "__hidden__"
#: Why a signed-in user reads no comments of an organisation.
NATIONAL = "national"
OTHER_ORGANISATION = "other_organisation"


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
    shown: bool
    reason: str | None
    comments: list[Comment]


@dataclass(frozen=True)
class CommentsView:
    """What one reader may read of an organisation's free text: `cells` when allowed,
    else `withheld` says why (`national` or `other_organisation`)."""

    cells: list[CommentCell]
    withheld: str | None = None


def _ref(campaign_id: int, response_id: str, link_id: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"comment:{campaign_id}:{response_id}:{link_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _cell(
    found: list[dict[str, str]], n: int, k: int, ref_n: int, rng: random.Random
) -> dict[str, Any]:
    """One cell's frozen section: its comments when disclosure allows them."""
    shown_now, reason, ref = disclosure.differenced([n], k, [ref_n])
    shown = bool(shown_now[0]) and disclosure.comments_shown(n, k)
    if not shown:
        code = (
            disclosure.BELOW_MINIMUM if bool(shown_now[0]) else disclosure.REASONS[int(reason[0])]
        )
        return {"shown": False, "reason": code, "comments": [], "ref_n": int(ref_n)}
    rng.shuffle(found)
    return {"shown": True, "reason": None, "comments": found, "ref_n": int(ref[0])}


def published_section(
    campaign: Campaign, previous: Mapping[str, Any] | None, rng: random.Random | None = None
) -> dict[str, Any]:
    """The free text as a publication of `campaign` freezes it: {organisation code:
    {audience: cell}}; registered in `results.SECTIONS`."""
    text_items = [i for i in definition_of(campaign.questionnaire).items if i.type == "text"]
    k = disclosure.k_of(campaign)
    submitted = (Response.campaign_id == campaign.id, Response.status == "submitted")
    counts: dict[tuple[str, str], int] = {
        (org_code, audience): n
        for org_code, audience, n in db.session.execute(
            select(Response.org_code, Response.audience, func.count())
            .where(*submitted)
            .group_by(Response.org_code, Response.audience)
        )
    }
    found: dict[tuple[str, str], list[dict[str, str]]] = {}
    # Only responses with some free text are read whole: decoding every response's answers
    # took 7 of a national publication's 12 s.
    has_text = or_(
        *(func.coalesce(Response.answers[i.link_id].as_string(), "") != "" for i in text_items)
    )
    rows = (
        db.session.execute(
            select(Response.id, Response.org_code, Response.audience, Response.answers)
            .where(*submitted, has_text)
            .order_by(Response.seq)
        )
        if text_items
        else ()
    )
    for response_id, org_code, audience, answers in rows:
        key = (org_code, audience)
        answers = answers or {}
        hidden = set(answers.get(HIDDEN_KEY) or [])
        for item in text_items:
            text = answers.get(item.link_id)
            if isinstance(text, str) and text.strip() and item.link_id not in hidden:
                found.setdefault(key, []).append(
                    {
                        "question": item.text_for_audience(audience),
                        "text": text.strip(),
                        "ref": _ref(campaign.id, response_id, item.link_id),
                    }
                )
    shuffler = rng or random.SystemRandom()
    section: dict[str, Any] = {}
    for (org_code, audience), n in sorted(counts.items()):
        before = (previous or {}).get(org_code, {}).get(audience, {})
        section.setdefault(org_code, {})[audience] = _cell(
            found.get((org_code, audience), []), n, k, int(before.get("ref_n") or 0), shuffler
        )
    return section


def may_read(user: Any, org_code: str) -> str | None:
    """None when `user` may read the organisation's free text, else why not."""
    if roles.may_read_free_text(user, org_code):
        return None
    return OTHER_ORGANISATION if user.org_code else NATIONAL


def _hidden_refs(campaign: Campaign, org_code: str) -> set[str]:
    rows = db.session.execute(
        select(Response.id, Response.answers).where(
            Response.campaign_id == campaign.id, Response.org_code == org_code
        )
    )
    return {
        _ref(campaign.id, response_id, link_id)
        for response_id, answers in rows
        for link_id in (answers or {}).get(HIDDEN_KEY) or []
    }


def comments_for(campaign: Campaign, org_code: str, user: Any) -> CommentsView | None:
    """The organisation's free text by audience as its latest publication froze it, for
    `user`; None while unpublished. A read that shows comments is audited."""
    if results.latest(campaign) is None or campaign.status != "closed":
        return None
    withheld = may_read(user, org_code)
    if withheld is not None:
        return CommentsView([], withheld)
    frozen = results.published_section(campaign, SECTION, org_code) or {}
    hidden = _hidden_refs(campaign, org_code)
    cells = []
    for audience in AUDIENCES:
        cell = frozen.get(audience) or {"shown": False, "reason": disclosure.BELOW_MINIMUM}
        shown = [
            Comment(c["question"], c["text"], c["ref"])
            for c in cell.get("comments", [])
            if c["ref"] not in hidden
        ]
        cells.append(CommentCell(audience, bool(cell["shown"]), cell.get("reason"), shown))
    db.session.add(
        AuditEvent(
            actor=user.email,
            action="comment.read",
            details={"campaign": campaign.slug, "organisation": org_code},
            at=utcnow(),
        )
    )
    db.session.flush()
    return CommentsView(cells)


def hide_comment(campaign: Campaign, org_code: str, ref: str, actor: str) -> bool:
    """Hide the free-text answer with this reference (a voided response's too, since a
    publication may still show it); False when there is none."""
    for response in db.session.scalars(
        select(Response).where(Response.campaign_id == campaign.id, Response.org_code == org_code)
    ):
        answers = dict(response.answers or {})
        for link_id, value in answers.items():
            if link_id == HIDDEN_KEY or not isinstance(value, str):
                continue
            if hmac.compare_digest(_ref(campaign.id, response.id, link_id), ref):
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
