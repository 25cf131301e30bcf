"""Publishing campaigns whose closing date has passed: publication 1 is made here and by
`campaigns close`, never by a read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists

from assessor.campaigns.service import publish_closed
from assessor.extensions import rows
from assessor.models import Campaign, Publication, utcnow


def due_campaigns(now: datetime | None = None) -> list[Campaign]:
    """Campaigns closed by their date that have no publication yet, in slug order."""
    now = now or utcnow()
    return rows(
        Campaign,
        Campaign.closes_at.is_not(None),
        Campaign.closes_at <= now,
        ~exists().where(Publication.campaign_id == Campaign.id),
        order_by=[Campaign.slug],
    )


def run_due(now: datetime | None = None) -> list[str]:
    """Publish every due campaign (flushes; the caller commits). Safe twice at once: the
    unique (campaign, number) lets only one publication 1 be made (publish_first)."""
    published = []
    for campaign in due_campaigns(now):
        publish_closed(campaign)
        published.append(campaign.slug)
    return published
