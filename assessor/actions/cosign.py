"""Co-signing a plan through single-use links.

A link is stored as the hash of its token (as invitations are) with the digest of the plan
it was made for. Using it records only that it was used; the co-signature itself keeps its
answer, an optional comment for the board and the day, and nothing that ties it to a link.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from assessor.actions.operations import is_published, plan_digest, plan_of
from assessor.campaigns.invitations import DEFAULT_BASE_URL, MAX_PER_CALL, hash_token
from assessor.campaigns.service import get_campaign, in_campaign
from assessor.extensions import db
from assessor.models import Action, AuditEvent, Campaign, Cosign, CosignLink, utcnow

DEFAULT_DAYS = 60
COMMENT_MAX = 2000


class CosignError(ValueError):
    """A request for links that cannot be carried out; `argument` names the culprit."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument = argument


class LinkRefused(Exception):
    """Why a link cannot be used: `unknown`, `used`, `expired` or `changed`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def cosign_link_url(raw_token: str) -> str:
    base = current_app.config.get("BASE_URL") or DEFAULT_BASE_URL
    return f"{base.rstrip('/')}/cosign/{raw_token}"


def create_cosign_links(
    slug: str, org_code: str, count: int, *, days: int = DEFAULT_DAYS, actor: str = "cli"
) -> list[str]:
    """Issue `count` links for the organisation's plan as it stands (flushed); returns the
    raw tokens, which are never stored."""
    campaign = get_campaign(slug)
    if campaign is None:
        raise CosignError("campaign", f"campaign {slug!r} does not exist")
    if not in_campaign(campaign, org_code):
        raise CosignError("org", f"organisation {org_code!r} is not in campaign {slug!r}")
    if not is_published(campaign):
        raise CosignError("campaign", f"campaign {slug!r} is not published yet")
    if not 1 <= count <= MAX_PER_CALL:
        raise CosignError("count", f"count must be between 1 and {MAX_PER_CALL}, not {count}")
    if not 1 <= days <= 366:
        raise CosignError("days", f"days must be between 1 and 366, not {days}")
    actions = [a for a in plan_of(campaign, org_code) if a.status != "dropped"]
    if not actions:
        raise CosignError("org", f"{org_code} has no plan for {slug} yet: nothing to co-sign")
    digest = plan_digest(actions)
    expires = utcnow() + timedelta(days=days)
    tokens = [secrets.token_urlsafe(24) for _ in range(count)]
    db.session.add_all(
        CosignLink(
            campaign_id=campaign.id,
            org_code=org_code,
            token_hash=hash_token(token),
            plan_digest=digest,
            expires_at=expires,
        )
        for token in tokens
    )
    db.session.add(
        AuditEvent(
            actor=actor,
            action="action.cosign_links",
            details={"campaign": slug, "organisation": org_code, "count": count, "days": days},
            at=utcnow(),
        )
    )
    db.session.flush()
    return tokens


def open_link(raw_token: str) -> tuple[CosignLink, Campaign, list[Action]]:
    """The link, its campaign and the plan it shows; raises LinkRefused when it cannot be
    used (already used, expired, or the plan has changed since it was made)."""
    link = (
        db.session.scalar(select(CosignLink).where(CosignLink.token_hash == hash_token(raw_token)))
        if raw_token
        else None
    )
    if link is None:
        raise LinkRefused("unknown")
    if link.used:
        raise LinkRefused("used")
    if utcnow() >= link.expires_at:
        raise LinkRefused("expired")
    campaign = db.session.get(Campaign, link.campaign_id)
    assert campaign is not None
    actions = plan_of(campaign, link.org_code)
    if plan_digest(actions) != link.plan_digest:
        raise LinkRefused("changed")
    return link, campaign, [a for a in actions if a.status != "dropped"]


def give_cosign(raw_token: str, agrees: bool, comment: str | None) -> Cosign:
    """Use a link once: mark it used (a conditional UPDATE, so that two racing requests
    cannot both use it) and store the answer with the day only."""
    link, campaign, _ = open_link(raw_token)
    claimed = db.session.execute(
        update(CosignLink)
        .where(CosignLink.id == link.id, CosignLink.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise LinkRefused("used")
    set_committed_value(link, "used", True)
    text = (comment or "").strip()[:COMMENT_MAX] or None
    cosign = Cosign(
        campaign_id=campaign.id,
        org_code=link.org_code,
        plan_digest=link.plan_digest,
        agrees=agrees,
        comment=text,
        given_on=datetime.now(UTC).date(),
    )
    db.session.add(cosign)
    db.session.flush()
    return cosign


def cosign_counts(
    campaign: Campaign, org_code: str, actions: list[Action] | None = None
) -> dict[str, int]:
    """Agree and disagree counts for the plan as it stands now (co-signatures of an earlier
    wording are not counted for it); counts only, the one thing that is public."""
    digest = plan_digest(actions if actions is not None else plan_of(campaign, org_code))
    rows = db.session.execute(
        select(Cosign.agrees, func.count())
        .where(
            Cosign.campaign_id == campaign.id,
            Cosign.org_code == org_code,
            Cosign.plan_digest == digest,
        )
        .group_by(Cosign.agrees)
    ).all()
    counts = {"agree": 0, "disagree": 0}
    for agrees, n in rows:
        counts["agree" if agrees else "disagree"] += int(n)
    return counts


def board_comments(campaign: Campaign, org_code: str) -> list[Cosign]:
    """Co-signatures with a comment, for the board's page only."""
    return list(
        db.session.scalars(
            select(Cosign)
            .where(
                Cosign.campaign_id == campaign.id,
                Cosign.org_code == org_code,
                Cosign.comment.is_not(None),
            )
            .order_by(Cosign.given_on.desc(), Cosign.id)
        )
    )
