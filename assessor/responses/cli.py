"""`assessor responses void ID --reason TEXT`, `assessor responses purge-idle`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from assessor.extensions import db
from assessor.models import Response
from assessor.responses import submission as service
from assessor.web.transactions import unit_of_work


@click.group("responses")
def responses_group() -> None:
    """Manage submitted responses."""


@responses_group.command("void")
@click.argument("response_id")
@click.option("--reason", required=True, help="why it is removed (kept in the audit log)")
@with_appcontext
def void(response_id: str, reason: str) -> None:
    """Remove a fraudulent or test response from every result."""
    response = db.session.scalar(select(Response).where(Response.id == response_id))
    if response is None:
        raise click.ClickException(f"response {response_id!r} does not exist")
    with unit_of_work():
        try:
            service.void(response, reason, actor="cli")
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"voided {response_id}; results recomputed")


@responses_group.command("purge-idle")
@click.option(
    "--days",
    default=service.IDLE_DAYS,
    show_default=True,
    type=click.IntRange(min=1),
    help="delete in-progress responses not saved for this many days",
)
@with_appcontext
def purge_idle(days: int) -> None:
    """Delete abandoned in-progress responses and their partial answers (run it daily)."""
    with unit_of_work():
        count = service.purge_idle(days)
    click.echo(f"deleted {count} in-progress responses idle for {days} days or more")


def register(group: click.Group) -> None:
    group.add_command(responses_group)
