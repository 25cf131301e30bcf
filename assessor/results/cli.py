"""`assessor results rebuild CAMPAIGN` and `assessor results publish CAMPAIGN --reason TEXT`."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from assessor import results
from assessor.campaigns.service import (
    CampaignError,
    get_campaign,
    publish_closed,
    require_campaign,
)
from assessor.extensions import db
from assessor.models import Response
from assessor.web.transactions import unit_of_work


@click.group("results")
def results_group() -> None:
    """Maintain campaign results."""


@results_group.command("rebuild")
@click.argument("slug")
@with_appcontext
def rebuild(slug: str) -> None:
    """Recompute every statistic of a campaign from the raw answers."""
    campaign = get_campaign(slug)
    if campaign is None:
        raise click.ClickException(f"campaign {slug!r} does not exist")
    total = db.session.scalar(
        select(func.count()).where(
            Response.campaign_id == campaign.id, Response.status == "submitted"
        )
    )
    started = time.perf_counter()
    # Rebuilding commits in batches (checkpoint), so a national rebuild holds no lock for long.
    with unit_of_work(), click.progressbar(length=total or 0, label=f"Rescoring {slug}") as bar:
        outcome = results.rebuild(campaign, progress=bar.update, checkpoint=db.session.commit)
    elapsed = time.perf_counter() - started
    click.echo(
        f"rebuilt {slug}: {outcome['responses']} responses in {elapsed:.1f} s; "
        f"{outcome['scores_changed']} stored respondent scores changed"
    )


@results_group.command("publish")
@click.argument("slug")
@click.option("--reason", required=True, help="Why a new publication is made (shown to readers).")
@with_appcontext
def publish(slug: str, reason: str) -> None:
    """Make the next publication of a closed campaign under the differencing rule."""
    with unit_of_work(CampaignError, results.PublicationError):
        campaign = require_campaign(slug)
        if results.latest(campaign) is None:
            publish_closed(campaign)
            publication = results.latest(campaign)
        else:
            publication = results.publish(campaign, reason)
    click.echo(
        f"published {slug}: publication {publication.number} on {publication.published_on},"
        f" {publication.organisations_revised} organisations with measures withheld"
        " (revision_below_minimum)"
    )


def register(group: click.Group) -> None:
    group.add_command(results_group)
