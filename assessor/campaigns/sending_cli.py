"""`assessor campaigns send-invitations SLUG` and `send-reminders SLUG`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from assessor.campaigns import outbox, service
from assessor.campaigns.cli import campaigns
from assessor.jobs.cli import TASKS, echo_outcome
from assessor.jobs.queue import enqueue
from assessor.jobs.transports import channels_of
from assessor.web.transactions import unit_of_work


@click.command("send-invitations")
@click.argument("slug")
@with_appcontext
def send_invitations(slug: str) -> None:
    """Queue one single-use invitation for each contact of SLUG not yet invited, and send
    them (on the queue, or here without Redis)."""
    with unit_of_work():
        try:
            campaign = service.require_campaign(slug)
            queued = outbox.queue_invitations(campaign, channels_of(current_app.config))
        except (service.CampaignError, outbox.OutboxError) as exc:
            raise click.ClickException(str(exc)) from None
        campaign_id = campaign.id
    click.echo(f"{queued.contacts} invitation(s) queued, {queued.messages} message(s)")
    if queued.unreachable:
        click.echo(f"{queued.unreachable} contact(s) have only a mobile number: set NOTIFY_API_KEY")
    echo_outcome(*enqueue(f"{TASKS}.send_messages", campaign_id))


@click.command("send-reminders")
@click.argument("slug")
@with_appcontext
def send_reminders(slug: str) -> None:
    """Queue and send the reminders that are due in SLUG: to contacts whose invitation is
    unused, at most REMINDERS_MAX each, REMINDER_DAYS apart, none once it has closed."""
    config = current_app.config
    with unit_of_work():
        try:
            campaign = service.require_campaign(slug)
        except service.CampaignError as exc:
            raise click.ClickException(str(exc)) from None
        queued = outbox.queue_reminders(
            campaign, channels_of(config), config["REMINDERS_MAX"], config["REMINDER_DAYS"]
        )
        campaign_id = campaign.id
    click.echo(f"{queued.contacts} reminder(s) queued, {queued.messages} message(s)")
    if queued.messages:
        echo_outcome(*enqueue(f"{TASKS}.send_messages", campaign_id))


def register(group: click.Group) -> None:
    campaigns.add_command(send_invitations)
    campaigns.add_command(send_reminders)
