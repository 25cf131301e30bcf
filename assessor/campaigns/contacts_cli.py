"""`assessor contacts import SLUG FILE.csv`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from assessor.campaigns import service
from assessor.campaigns.contacts import ContactsError, import_contacts
from assessor.web.transactions import unit_of_work


@click.group("contacts")
def contacts() -> None:
    """Contact lists: the people a campaign invites."""


@contacts.command("import")
@click.argument("slug")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@with_appcontext
def import_command(slug: str, file: click.utils.LazyFile) -> None:
    """Import FILE (columns org_code,audience,email,mobile; email or mobile or both) into
    campaign SLUG. Every bad row is reported by line, and then nothing is imported."""
    with unit_of_work():
        try:
            campaign = service.require_campaign(slug)
            report = import_contacts(campaign, file.read())
        except service.CampaignError as exc:
            raise click.ClickException(str(exc)) from None
        except ContactsError as exc:
            for error in exc.errors:
                click.echo(error, err=True)
            raise click.ClickException(
                f"{len(exc.errors)} problem(s); nothing was imported"
            ) from None
    click.echo(
        f"{report.added} contact(s) added, {report.merged} duplicate(s) merged, from "
        f"{report.lines} row(s)"
    )


def register(group: click.Group) -> None:
    group.add_command(contacts)
