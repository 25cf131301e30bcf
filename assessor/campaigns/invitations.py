"""Single-use invitation links.

The raw token exists only in the link handed to the respondent: the database keeps its
sha256, so a copy of the database cannot be used to answer as someone else. An invitation
records only that it was used, and only to the day, so that its timestamp cannot be matched
against a response's to tell which response it produced.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from assessor.auth.tokens import hash_token
from assessor.extensions import db
from assessor.models import Campaign, CampaignOrganisation, Invitation, utcnow
from assessor.models.campaign import AUDIENCES

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
#: A guard against a slip of the keyboard, not a limit on a campaign: run the command again.
MAX_PER_CALL = 10_000


class LinkRequestError(ValueError):
    """A request for single-use links that cannot be carried out; `argument` names the
    offending argument."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument = argument


class InvitationError(LinkRequestError):
    """A request for invitations that cannot be carried out."""


def link_url(path: str, raw_token: str) -> str:
    """The public address of a single-use link under `path` (`i`, `cosign`)."""
    base = current_app.config.get("BASE_URL") or DEFAULT_BASE_URL
    return f"{base.rstrip('/')}/{path}/{raw_token}"


def invitation_link(raw_token: str) -> str:
    return link_url("i", raw_token)


def create_invitations(
    campaign: Campaign | str, org_code: str, audience: str, count: int
) -> list[str]:
    """Issue `count` invitations (flushed, not committed) and return their raw tokens, which
    are never stored and cannot be recovered later. `campaign` is a Campaign or its slug."""
    if isinstance(campaign, str):
        found = db.session.scalar(select(Campaign).where(Campaign.slug == campaign))
        if found is None:
            raise InvitationError("campaign", f"campaign {campaign!r} does not exist")
        campaign = found
    if db.session.get(CampaignOrganisation, (campaign.id, org_code)) is None:
        raise InvitationError(
            "org", f"organisation {org_code!r} is not in campaign {campaign.slug!r}"
        )
    if audience not in AUDIENCES:
        raise InvitationError(
            "audience", f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}"
        )
    if not 1 <= count <= MAX_PER_CALL:
        raise InvitationError("count", f"count must be between 1 and {MAX_PER_CALL}, not {count}")
    tokens = [secrets.token_urlsafe(24) for _ in range(count)]
    now = utcnow()
    db.session.add_all(
        Invitation(
            campaign_id=campaign.id,
            org_code=org_code,
            audience=audience,
            token_hash=hash_token(token),
            created_at=now,
        )
        for token in tokens
    )
    db.session.flush()
    return tokens


def find_invitation(raw_token: str) -> Invitation | None:
    """The invitation for a token from a link, used or not (the caller decides what a used
    one means)."""
    if not raw_token:
        return None
    return db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(raw_token))
    )


def mark_used(invitation: Invitation) -> None:
    """Record that the invitation has been used, and nothing else.

    A conditional update, so that two requests racing with one link cannot both use it:
    the loser gets InvitationError. The time is kept to the day (midnight UTC).
    """
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if not claim_once(invitation, "used_at", Invitation.used_at.is_(None), today):
        raise InvitationError("invitation", "this invitation has already been used")


def claim_once(row: Any, column: str, unused: ColumnElement[bool], value: Any) -> bool:
    """Set `column` of a single-use link's `row` to `value` if it is still `unused`, by a
    conditional UPDATE, so that of two requests racing with one link only one wins; whether
    this one did."""
    model = type(row)
    result = db.session.execute(
        update(model)
        .where(model.id == row.id, unused)
        .values({column: value})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(row, column, value)
    return True


def invitation_count(campaign_id: int, org_code: str, audience: str) -> int:
    """How many invitations were issued (used or not): the denominator of a response rate
    where no eligible count was recorded."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(
                Invitation.campaign_id == campaign_id,
                Invitation.org_code == org_code,
                Invitation.audience == audience,
            )
        )
        or 0
    )
