"""`assessor orgs import|list`."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from assessor.extensions import db
from assessor.models import Organisation
from assessor.organisations.importing import (
    HEADER,
    ImportFailed,
    read_organisations,
    store_organisations,
)
from assessor.web.transactions import unit_of_work

#: Below this many rows an import is over before a progress bar would tell anyone anything.
PROGRESS_FROM_ROWS = 200


@click.group("orgs")
def orgs() -> None:
    """Import and list organisations."""


@orgs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--peer-groups",
    "peer_groups",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with header code,peer_group (ODS layout only; otherwise the region is used).",
)
@with_appcontext
def import_command(file: Path, peer_groups: Path | None) -> None:
    """Import organisations from FILE: a headed CSV (code,name,kind,region,peer_group,
    parent_code) or NHS ODS's eccg.csv as published. A file with any bad row imports nothing."""
    try:
        parsed = read_organisations(file, peer_groups)
    except ImportFailed as exc:
        for message in exc.errors:
            click.echo(message, err=True)
        click.echo(f"Nothing imported: {len(exc.errors)} problem(s) found.", err=True)
        raise click.exceptions.Exit(1) from None
    with (
        unit_of_work(),
        click.progressbar(
            length=len(parsed.rows),
            label="Importing organisations",
            hidden=len(parsed.rows) < PROGRESS_FROM_ROWS,
            file=sys.stderr,
        ) as bar,
    ):
        summary = store_organisations(parsed, progress=bar.update)
    click.echo(summary.describe())


@orgs.command("list")
@click.option("--open-only", is_flag=True, help="Leave out closed organisations.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the headed import layout instead.")
@with_appcontext
def list_command(open_only: bool, as_csv: bool) -> None:
    """List organisations by code; --csv prints a file `orgs import` reads back."""
    query = select(Organisation).order_by(Organisation.code)
    if open_only:
        query = query.where(Organisation.closed.is_(False))
    organisations = db.session.scalars(query).all()
    if as_csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for org in organisations:
            writer.writerow(
                [org.code, org.name, org.kind, org.region, org.peer_group, org.parent_code or ""]
            )
        click.echo(out.getvalue(), nl=False)
        return
    if not organisations:
        click.echo("No organisations (import some with `assessor orgs import FILE.csv`).")
        return
    rows = [("CODE", "NAME", "KIND", "REGION", "PEER GROUP", "STATUS")]
    for org in organisations:
        status = ""
        if org.closed:
            status = f"closed {org.closed_on.isoformat()}" if org.closed_on else "closed"
        rows.append((org.code, org.name, org.kind, org.region, org.peer_group, status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())
    click.echo(f"{len(organisations)} organisation(s).")


def register(group: click.Group) -> None:
    group.add_command(orgs)
