"""Campaigns: creating one records its organisations as they stand that day (region and peer
group), so that later reorganisations never move a published result into another group."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from assessor import results
from assessor.extensions import db
from assessor.models import (
    Campaign,
    CampaignOrganisation,
    Organisation,
    QuestionnaireVersion,
    Response,
    utcnow,
)
from assessor.models.campaign import ACCESS_MODES, AUDIENCES
from assessor.responses.submission import delete_in_progress


class CampaignError(ValueError):
    """A campaign request that cannot be carried out; the message says which argument."""


#: Built once: every survey page and API call on a campaign runs it.
_BY_SLUG = (
    select(Campaign)
    .options(joinedload(Campaign.questionnaire))
    .where(Campaign.slug == bindparam("slug"))
)


def get_campaign(slug: str) -> Campaign | None:
    """The campaign with its questionnaire version row (its definition is deferred and parsed
    once per worker by `definition_of`), in one query."""
    return db.session.scalar(_BY_SLUG, {"slug": slug})


def require_campaign(slug: str) -> Campaign:
    campaign = get_campaign(slug)
    if campaign is None:
        raise CampaignError(f"campaign {slug!r} does not exist")
    return campaign


def in_campaign(campaign: Campaign, org_code: str) -> bool:
    """Whether the organisation was recorded in the campaign when it was created."""
    return db.session.get(CampaignOrganisation, (campaign.id, org_code)) is not None


def create_campaign(
    slug: str,
    title: str,
    questionnaire_key: str,
    questionnaire_version: int,
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    previous: str | None = None,
    access: str = "invitation",
    min_respondents: int | None = None,
    org_codes: list[str] | None = None,
) -> Campaign:
    """Create a campaign over every open organisation (or the given codes).

    `min_respondents` defaults to the MIN_RESPONDENTS setting and is stored with the
    campaign, so changing the setting later never changes what a published campaign shows.
    """
    if get_campaign(slug) is not None:
        raise CampaignError(f"campaign {slug!r} already exists")
    if access not in ACCESS_MODES:
        raise CampaignError(f"access must be one of {', '.join(ACCESS_MODES)}, not {access!r}")
    version = _published_version(questionnaire_key, questionnaire_version)
    previous_campaign = _closed_previous(previous) if previous else None
    k = _min_respondents(min_respondents)
    if opens_at and closes_at and closes_at <= opens_at:
        raise CampaignError("closes_at must be after opens_at")
    organisations = _organisations(org_codes)

    campaign = Campaign(
        slug=slug,
        title=title,
        questionnaire=version,
        opens_at=opens_at,
        closes_at=closes_at,
        previous=previous_campaign,
        min_respondents=k,
        access=access,
        created_at=utcnow(),
    )
    db.session.add(campaign)
    for org in organisations:
        db.session.add(
            CampaignOrganisation(
                campaign=campaign, org_code=org.code, region=org.region, peer_group=org.peer_group
            )
        )
    db.session.flush()
    results.initialise_cells(campaign)
    return campaign


def _published_version(key: str, number: int) -> QuestionnaireVersion:
    version = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.key == key, QuestionnaireVersion.version == number
        )
    )
    if version is None:
        raise CampaignError(
            f"questionnaire {key} v{number} is not in the database"
            " (run `assessor questionnaires publish`)"
        )
    if version.status != "published":
        raise CampaignError(
            f"questionnaire {key} v{number} is {version.status};"
            " only a published version can be used by a new campaign"
        )
    return version


def _closed_previous(slug: str) -> Campaign:
    """The previous campaign of a trend, published first if it has closed since."""
    previous = get_campaign(slug)
    if previous is None:
        raise CampaignError(f"previous campaign {slug!r} does not exist")
    if previous.status != "closed":
        raise CampaignError(
            f"previous campaign {slug!r} is {previous.status}: a trend compares"
            " with a published campaign, so the previous one must have closed"
        )
    publish_closed(previous)
    return previous


def _min_respondents(given: int | None) -> int:
    from assessor.config import FLOOR_MIN_RESPONDENTS

    k = current_app.config["MIN_RESPONDENTS"] if given is None else given
    # Never below 5 (scoring.md s.3); only the test suite's hand-sized worlds lower it, and
    # only with TESTING on.
    floor = FLOOR_MIN_RESPONDENTS
    if current_app.testing:
        floor = current_app.config.get("TEST_FLOOR_MIN_RESPONDENTS", floor)
    if k < floor:
        raise CampaignError(f"min_respondents must be at least {floor}, not {k}")
    return k


def _organisations(org_codes: list[str] | None) -> list[Organisation]:
    """Every open organisation, or exactly the given ones (all of which must exist)."""
    query = select(Organisation).order_by(Organisation.code)
    if org_codes is None:
        query = query.where(Organisation.closed.is_(False))
    else:
        query = query.where(Organisation.code.in_(org_codes))
    organisations = list(db.session.scalars(query).all())
    if org_codes is not None:
        missing = sorted(set(org_codes) - {o.code for o in organisations})
        if missing:
            raise CampaignError(f"unknown organisation codes: {', '.join(missing)}")
    return organisations


def open_campaign(campaign: Campaign, at: datetime | None = None) -> None:
    """Open a scheduled campaign now. A closed campaign is never reopened: its results are
    published, and late responses would let a reader difference them (scoring.md s.6)."""
    if campaign.status == "closed":
        raise CampaignError(
            f"campaign {campaign.slug!r} is closed and its results are published; a closed"
            " campaign is never reopened (scoring.md s.6): create a new campaign instead"
        )
    at = at or utcnow()
    campaign.opens_at = at
    if campaign.closes_at is not None and campaign.closes_at <= at:
        campaign.closes_at = None


def close_campaign(campaign: Campaign, at: datetime | None = None) -> None:
    """Close a campaign now and make its first publication (in-progress responses go)."""
    at = at or utcnow()
    if campaign.status == "closed":
        raise CampaignError(f"campaign {campaign.slug!r} is already closed")
    if campaign.opens_at is None or campaign.opens_at > at:
        raise CampaignError(f"campaign {campaign.slug!r} has not opened, so it cannot close")
    campaign.closes_at = at
    db.session.flush()
    publish_closed(campaign)


def publish_closed(campaign: Campaign) -> None:
    """Make a closed campaign's first publication, if it has none, after deleting its
    in-progress responses (scoring.md s.6): by `campaigns close` and the job that closes
    campaigns whose closing date has passed, never by a read."""
    if results.latest(campaign) is None:
        delete_in_progress(Response.campaign_id == campaign.id)
    results.publish_first(campaign)


def set_eligible(campaign: Campaign, org_code: str, audience: str, count: int) -> None:
    """Record how many people were eligible to respond, for response rates."""
    if audience not in AUDIENCES:
        raise CampaignError(f"audience must be staff or patient_leader, not {audience!r}")
    if count < 0:
        raise CampaignError("the eligible count cannot be negative")
    member = db.session.get(CampaignOrganisation, (campaign.id, org_code))
    if member is None:
        raise CampaignError(f"organisation {org_code!r} is not in campaign {campaign.slug!r}")
    if audience == "staff":
        member.eligible_staff = count
    else:
        member.eligible_patient_leader = count
