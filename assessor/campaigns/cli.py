"""`assessor campaigns create|open|close|list|eligible`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from assessor import results
from assessor.campaigns import service
from assessor.extensions import db
from assessor.models import Campaign
from assessor.web.transactions import unit_of_work


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or date-time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group("campaigns")
def campaigns() -> None:
    """Create, open, close and list campaigns."""


@campaigns.command("create")
@click.argument("slug")
@click.option("--title", required=True)
@click.option(
    "--questionnaire",
    "questionnaire",
    required=True,
    help="KEY:VERSION, e.g. engagement-maturity:2",
)
@click.option("--opens", "opens_at", help="ISO date-time the campaign opens (UTC if no zone)")
@click.option("--closes", "closes_at", help="ISO date-time the campaign closes")
@click.option("--previous", help="slug of the previous campaign, for trends")
@click.option(
    "--access", type=click.Choice(["open", "invitation"]), default="invitation", show_default=True
)
@with_appcontext
def create(
    slug: str,
    title: str,
    questionnaire: str,
    opens_at: str | None,
    closes_at: str | None,
    previous: str | None,
    access: str,
) -> None:
    """Create a campaign over every open organisation; k comes from MIN_RESPONDENTS."""
    key, _, version = questionnaire.rpartition(":")
    if not key or not version.isdigit():
        raise click.BadParameter(
            "use KEY:VERSION, e.g. engagement-maturity:2", param_hint="--questionnaire"
        )
    with unit_of_work(service.CampaignError):
        campaign = service.create_campaign(
            slug,
            title,
            key,
            int(version),
            opens_at=_when(opens_at),
            closes_at=_when(closes_at),
            previous=previous,
            access=access,
        )
    click.echo(
        f"created {campaign.slug}: {len(campaign.members)} organisations, "
        f"k={campaign.min_respondents}, access {campaign.access}, status {campaign.status}"
    )


def _status_command(name: str, change: Callable[[Campaign], None], done: str, doc: str) -> None:
    """`campaigns open` and `close`: one status change, refused with the service's reason."""

    @campaigns.command(name, help=doc)
    @click.argument("slug")
    @with_appcontext
    def command(slug: str) -> None:
        with unit_of_work(service.CampaignError):
            change(service.require_campaign(slug))
        click.echo(f"{slug} {done}")


_status_command("open", service.open_campaign, "is open", "Open a campaign now.")
_status_command(
    "close",
    service.close_campaign,
    "is closed; its results are published",
    "Close a campaign now: its results are published.",
)


@campaigns.command("list")
@with_appcontext
def list_() -> None:
    """List campaigns."""
    rows = db.session.scalars(db.select(Campaign).order_by(Campaign.created_at)).all()
    for c in rows:
        q = c.questionnaire
        last = results.latest(c)
        published = f"publication {last.number}" if last else "unpublished"
        pending = "  revision_pending" if results.revision_pending(c) else ""
        click.echo(
            f"{c.slug:24} {c.status:9} {q.key} v{q.version}  k={c.min_respondents}  "
            f"access={c.access}  previous={c.previous.slug if c.previous else '-'}  "
            f"organisations={len(c.members)}  {published}{pending}"
        )


@campaigns.command("eligible")
@click.argument("slug")
@click.argument("org")
@click.argument("audience", type=click.Choice(["staff", "patient_leader"]))
@click.argument("count", type=click.IntRange(min=0))
@with_appcontext
def eligible(slug: str, org: str, audience: str, count: int) -> None:
    """Record how many people of ORG's AUDIENCE could respond (for response rates)."""
    with unit_of_work(service.CampaignError):
        service.set_eligible(service.require_campaign(slug), org, audience, count)
    click.echo(f"{slug} {org} {audience}: {count} eligible")


def register(group: click.Group) -> None:
    group.add_command(campaigns)
