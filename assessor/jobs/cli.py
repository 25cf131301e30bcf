"""`assessor jobs run-due`: everything that is due, for cron every minute."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from assessor.jobs.due import run_due
from assessor.web.transactions import unit_of_work


@click.group("jobs")
def jobs() -> None:
    """Background work: run what is due."""


@jobs.command("run-due")
@with_appcontext
def run_due_command() -> None:
    """Publish campaigns whose closing date has passed (idempotent; run from cron)."""
    with unit_of_work():
        published = run_due()
    for slug in published:
        click.echo(f"published {slug}: publication 1")
    if not published:
        click.echo("nothing due")


def register(group: click.Group) -> None:
    group.add_command(jobs)
