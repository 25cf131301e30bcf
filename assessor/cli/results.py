"""`assessor results rebuild CAMPAIGN`."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from assessor import results
from assessor.campaigns import get_campaign
from assessor.extensions import db
from assessor.models import Response


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
    with click.progressbar(length=total or 0, label=f"Rescoring {slug}") as bar:
        outcome = results.rebuild(campaign, progress=bar.update)
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(
        f"rebuilt {slug}: {outcome['responses']} responses in {elapsed:.1f} s; "
        f"{outcome['scores_changed']} stored respondent scores changed"
    )


def register(group: click.Group) -> None:
    group.add_command(results_group)
