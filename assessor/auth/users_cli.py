"""`assessor users create|set-password`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from assessor.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    UserError,
    create_user,
    find_user,
    normalise_email,
    set_password,
    validate_password,
)
from assessor.auth.roles import ROLES, scope_problem
from assessor.web.transactions import unit_of_work

_PASSWORD_STDIN_HELP = "Read the password from one line of standard input instead of prompting."


def _read_password(from_stdin: bool) -> str:
    """Prompt twice with hidden input, or take one line of standard input (for scripts, so
    that the password never appears in a command line or the shell history)."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
    else:
        password = click.prompt(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt="Repeat the password",
        )
    try:
        validate_password(password)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    return password


@click.group("users")
def users() -> None:
    """Manage board logins."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="viewer, editor or admin.")
@click.option(
    "--org",
    "org_code",
    help="The user's organisation: an editor's (needed), a viewer's (none: national).",
)
@click.option("--password-stdin", is_flag=True, help=_PASSWORD_STDIN_HELP)
@with_appcontext
def create_command(email: str, role: str, org_code: str | None, password_stdin: bool) -> None:
    """Create a board login for EMAIL with a password."""
    try:
        address = normalise_email(email)
    except UserError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from None
    if find_user(address) is not None:
        raise click.ClickException(f"a user with e-mail {address!r} already exists")
    problem = scope_problem(role, org_code)
    if problem:
        raise click.UsageError(problem)
    password = _read_password(password_stdin)
    with unit_of_work():
        try:
            user = create_user(address, role, password, org_code)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    of = f" of {user.org_code}" if user.org_code else ""
    click.echo(f"Created {user.role}{of} {user.email}.")


@users.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help=_PASSWORD_STDIN_HELP)
@with_appcontext
def set_password_command(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email.strip().lower()!r}")
    with unit_of_work():
        set_password(user, _read_password(password_stdin))
    click.echo(f"Password changed for {user.email}.")


def register(group: click.Group) -> None:
    group.add_command(users)
