"""`assessor tokens create|revoke|list`: API bearer tokens.

`create` prints the token alone on the last line of its output, so that a script can keep
it with `tail -n 1`; it is shown only then. `list` never shows a token or its hash.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import click
from flask.cli import with_appcontext

from assessor.auth.tokens import (
    TokenError,
    create_token,
    find_token,
    list_tokens,
    revoke,
    status_of,
)
from assessor.models.auth import SCOPES
from assessor.web.transactions import unit_of_work


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _last_day(expires_at: datetime | None) -> str:
    """The last day the token works, as it was given to `create --expires`."""
    return (expires_at - timedelta(seconds=1)).date().isoformat() if expires_at else "never"


@click.group("tokens")
def tokens() -> None:
    """Manage API bearer tokens."""


@tokens.command("create")
@click.option("--name", required=True, help="Who holds the token, e.g. 'NHS England'.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="A scope to grant; repeat for several.",
)
@click.option(
    "--expires",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    help="Last day (UTC) on which the token works.",
)
@with_appcontext
def create_command(name: str, scopes: tuple[str, ...], expires: date | None) -> None:
    """Create a token. It is shown once, on the last line of output."""
    with unit_of_work(TokenError):
        token, raw = create_token(name, list(scopes), expires)
    until = f", expires after {expires.isoformat()}" if expires else ", no expiry"
    click.echo(f"Created token {token.id} {token.name!r} ({', '.join(token.scopes)}{until}).")
    click.echo("It is shown only now and stored only as a hash; keep it safe:")
    click.echo(raw)


@tokens.command("revoke")
@click.argument("id_or_name")
@with_appcontext
def revoke_command(id_or_name: str) -> None:
    """Revoke a token, given its id or its name."""
    try:
        token = find_token(id_or_name)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    with unit_of_work():
        changed = revoke(token)
    if changed:
        click.echo(f"Revoked token {token.id} {token.name!r}.")
    else:
        click.echo(f"Token {token.id} {token.name!r} was already revoked.")


@tokens.command("list")
@with_appcontext
def list_command() -> None:
    """List tokens (never their secrets or hashes)."""
    rows = list_tokens()
    if not rows:
        click.echo("No tokens.")
        return
    click.echo(f"{'id':>4}  {'status':8} {'works until':12} {'last used':16} {'scopes':40} name")
    for t in rows:
        click.echo(
            f"{t.id:>4}  {status_of(t):8} {_last_day(t.expires_at):12} {_when(t.last_used_at):16} "
            f"{' '.join(t.scopes):40} {t.name}"
        )


def register(group: click.Group) -> None:
    group.add_command(tokens)
