"""The jobs the queue runs. Each runs in the app context of whoever runs it (`assessor
worker`, or the command that enqueued it when there is no Redis), commits its own work and
returns lines that say what it did."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exists, select

from assessor.campaigns import outbox
from assessor.extensions import db
from assessor.jobs.due import run_due
from assessor.jobs.sending import send_pending
from assessor.jobs.transports import channels_of
from assessor.models import Campaign, Message, utcnow
from assessor.responses import submission
from assessor.web.metrics import JOBS


def _done(lines: list[str]) -> list[str]:
    db.session.commit()
    return lines


def job(func: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """A failed job leaves nothing half stored behind it."""

    @functools.wraps(func)
    def run(*args: Any) -> list[str]:
        try:
            lines = func(*args)
        except BaseException:
            db.session.rollback()
            JOBS.labels(func.__name__, "failed").inc()
            raise
        JOBS.labels(func.__name__, "ok").inc()
        return lines

    return run


@job
def send_messages(campaign_id: int | None = None) -> list[str]:
    """Send every queued message that can go now."""
    report = send_pending(campaign_id)
    if not (report.sent or report.failed or report.retrying or report.skipped):
        return []
    return [
        f"messages: {report.sent} sent, {report.failed} failed, "
        f"{report.retrying} to retry, {report.skipped} not sent"
    ]


@job
def publish_due() -> list[str]:
    """Publish campaigns whose closing date has passed."""
    return _done([f"published {slug}: publication 1" for slug in run_due()])


@job
def queue_reminders() -> list[str]:
    """Queue the reminders that are due in every open campaign."""
    config = current_app.config
    lines = []
    now = utcnow()
    open_ = select(Campaign).where(
        Campaign.opens_at <= now, (Campaign.closes_at.is_(None)) | (Campaign.closes_at > now)
    )
    for campaign in db.session.scalars(open_.order_by(Campaign.slug)):
        queued = outbox.queue_reminders(
            campaign, channels_of(config), config["REMINDERS_MAX"], config["REMINDER_DAYS"], now
        )
        if queued.contacts:
            lines.append(f"{campaign.slug}: {queued.contacts} reminder(s) queued")
    return _done(lines)


@job
def delete_contacts() -> list[str]:
    """Delete the contacts of closed campaigns, and those older than CONTACT_DAYS."""
    now = utcnow()
    days = float(current_app.config["CONTACT_DAYS"])
    lines = []
    for campaign in outbox.contacts_to_delete(now, days):
        if campaign.status_at(now) == "closed":
            count = outbox.delete_contacts(campaign, "campaign closed")
        else:
            old = now - timedelta(days=days)
            count = outbox.delete_contacts(campaign, f"older than {days:g} days", before=old)
        lines.append(f"{campaign.slug}: {count} contact(s) deleted")
    return _done(lines)


@job
def purge_idle(days: int = 30) -> list[str]:
    """Delete in-progress answers idle for `days`."""
    count = submission.purge_idle(days)
    return _done([f"{count} idle in-progress response(s) deleted"] if count else [])


def sendable() -> bool:
    """Whether a message is waiting and a transport is set."""
    waiting = db.session.scalar(select(exists().where(Message.status.in_(("pending", "claimed")))))
    return bool(waiting) and bool(channels_of(current_app.config))
