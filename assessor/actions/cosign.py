"""Co-signing a plan through single-use links.

A link is stored as the hash of its token (as invitations are) with the plan version it was
made for. Using it records only that it was used; the co-signature itself keeps its answer,
the version it was given on, an optional comment for the board and the day, and nothing
that ties it to a link. Tallies are shown per version under the disclosure rule.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from assessor import disclosure
from assessor.actions.operations import (
    current_version,
    ensure_version,
    is_published,
    plan_digest,
    plan_of,
    versions_of,
)
from assessor.campaigns.invitations import (
    MAX_PER_CALL,
    LinkRequestError,
    claim_once,
    hash_token,
    link_url,
)
from assessor.campaigns.service import get_campaign, in_campaign
from assessor.extensions import db, rows
from assessor.models import Action, AuditEvent, Campaign, Cosign, CosignLink, utcnow

DEFAULT_DAYS = 60
COMMENT_MAX = 2000


class CosignError(LinkRequestError):
    """A request for co-sign links that cannot be carried out."""


class LinkRefused(Exception):
    """Why a link cannot be used: `unknown`, `used` or `expired`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def cosign_link_url(raw_token: str) -> str:
    return link_url("cosign", raw_token)


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
    version = ensure_version(campaign, org_code)
    expires = utcnow() + timedelta(days=days)
    tokens = [secrets.token_urlsafe(24) for _ in range(count)]
    db.session.add_all(
        CosignLink(
            campaign_id=campaign.id,
            org_code=org_code,
            token_hash=hash_token(token),
            plan_digest=digest,
            version=version.number,
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


@dataclass(frozen=True)
class OpenLink:
    """A usable link, its campaign, the plan as it stands, and whether the plan changed
    since the link was made (it then asks about the current version)."""

    link: CosignLink
    campaign: Campaign
    actions: list[Action]
    changed: bool


def open_link(raw_token: str) -> OpenLink:
    """The link and the plan it now shows; raises LinkRefused when it cannot be used
    (unknown, already used or expired). A link made for an earlier version co-signs the
    current one."""
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
    current = current_version(campaign, link.org_code)
    changed = current is not None and current.number != link.version
    actions = [a for a in plan_of(campaign, link.org_code) if a.status != "dropped"]
    return OpenLink(link, campaign, actions, changed)


def give_cosign(raw_token: str, agrees: bool, comment: str | None) -> Cosign:
    """Use a link once: mark it used (a conditional UPDATE, so that two racing requests
    cannot both use it) and store the answer on the current version, with the day only."""
    found = open_link(raw_token)
    link, campaign = found.link, found.campaign
    if not claim_once(link, "used", CosignLink.used.is_(False), True):
        raise LinkRefused("used")
    text = (comment or "").strip()[:COMMENT_MAX] or None
    version = ensure_version(campaign, link.org_code)
    cosign = Cosign(
        campaign_id=campaign.id,
        org_code=link.org_code,
        plan_digest=plan_digest(found.actions),
        version=version.number,
        agrees=agrees,
        comment=text,
        given_on=datetime.now(UTC).date(),
    )
    db.session.add(cosign)
    db.session.flush()
    return cosign


@dataclass(frozen=True)
class VersionTally:
    """One plan version's co-sign tally as its reader may see it: `tally` under the k rule
    and `count`, its n or "fewer than k", both as at `as_of` for all but administrators."""

    number: int
    opened_on: date | None
    tally: disclosure.Tally
    count: disclosure.Count

    def as_dict(self) -> dict[str, object]:
        counts = self.tally.counts or {}
        return {
            "version": self.number,
            "opened_on": self.opened_on,
            "agree": counts.get("agree"),
            "disagree": counts.get("disagree"),
            "n": self.tally.n,
            "suppressed": self.tally.suppressed,
            "reason": self.tally.reason,
        }


def cosign_tallies(
    campaign: Campaign, org_code: str, *, now: datetime | None = None, admin: bool = False
) -> list[VersionTally]:
    """Agree and disagree tallies per plan version, newest (current) first. For anyone but
    an administrator, as at the end of the previous day (scoring.md s.6, "Counts are
    numbers too"), so that using a link never changes a public tally at once, and released
    k people at a time (`disclosure.released`), so that no two days' tallies differ by
    fewer than k people."""
    as_of = None if admin else disclosure.counts_as_of(now or utcnow())
    query = (
        select(Cosign.version, Cosign.given_on, Cosign.agrees, func.count())
        .where(Cosign.campaign_id == campaign.id, Cosign.org_code == org_code)
        .group_by(Cosign.version, Cosign.given_on, Cosign.agrees)
        .order_by(Cosign.given_on)
    )
    if as_of is not None:
        query = query.where(Cosign.given_on < as_of.date())
    # version -> the tally as at the end of each day someone co-signed, oldest first
    steps: dict[int, list[tuple[date, dict[str, int]]]] = {}
    for number, given_on, agrees, n in db.session.execute(query):
        days = steps.setdefault(int(number), [])
        if not days or days[-1][0] != given_on:
            days.append((given_on, dict(days[-1][1]) if days else {"agree": 0, "disagree": 0}))
        days[-1][1]["agree" if agrees else "disagree"] += int(n)
    opened = {v.number: v.opened_on for v in versions_of(campaign, org_code)}
    numbers = sorted(set(opened) | set(steps) | {1}, reverse=True)
    k = disclosure.k_of(campaign)
    found = []
    for number in numbers:
        history = [(by, by["agree"] + by["disagree"]) for _, by in steps.get(number, [])]
        by, n = history[-1] if history else ({"agree": 0, "disagree": 0}, 0)
        if admin:
            shown = disclosure.Tally(dict(by), n, None)
            count = disclosure.Count(n, None)
        else:
            shown, count = disclosure.released(history, k), disclosure.open_count(n, k, as_of)
        found.append(VersionTally(number, opened.get(number), shown, count))
    return found


def board_comments(campaign: Campaign, org_code: str) -> list[Cosign]:
    """Co-signatures with a comment, for the board's page only."""
    return rows(
        Cosign,
        Cosign.campaign_id == campaign.id,
        Cosign.org_code == org_code,
        Cosign.comment.is_not(None),
        order_by=[Cosign.version.desc(), Cosign.given_on.desc(), Cosign.id],
    )
