"""`assessor users`: password logins (create, set-password) and who may sign in with
NHSmail (grant, grant-csv, allow-domain, remove), and disabling unused accounts."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from assessor.auth import accounts
from assessor.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    UserError,
    create_user,
    find_user,
    normalise_email,
    set_password,
    validate_password,
)
from assessor.auth.roles import ROLES, describe, scope_problem
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
    with unit_of_work(UserError):
        user = create_user(address, role, password, org_code)
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


def _fail(exc: UserError) -> click.ClickException:
    return click.ClickException(str(exc))


_ROLE = click.option(
    "--role", type=click.Choice(ROLES), required=True, help="viewer, editor or admin."
)
_ORG = click.option(
    "--org", "org_code", help="Their organisation (a viewer without one is national)."
)


@users.command("grant")
@click.argument("email")
@_ROLE
@_ORG
@with_appcontext
def grant_command(email: str, role: str, org_code: str | None) -> None:
    """Let EMAIL sign in with NHSmail (or change their role); no password is set."""
    with unit_of_work():
        try:
            user, outcome = accounts.grant(email, role, org_code, actor="cli")
        except UserError as exc:
            raise _fail(exc) from None
    words = {"granted": "Granted", "changed": "Changed", "unchanged": "Unchanged:"}
    click.echo(f"{words[outcome]} {user.email}: {describe(user)}.")


@users.command("grant-csv")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@with_appcontext
def grant_csv_command(file: click.utils.LazyFile) -> None:
    """Grant every row of a CSV with header email,role,org (all or nothing)."""
    with unit_of_work():
        try:
            counts = accounts.grant_many(accounts.read_grants_csv(file.read()), actor="cli")
        except UserError as exc:
            raise _fail(exc) from None
    click.echo(
        f"{counts['granted']} granted, {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged."
    )


@users.command("remove")
@click.argument("email")
@with_appcontext
def remove_command(email: str) -> None:
    """Remove EMAIL's account: it can no longer sign in, by any means."""
    with unit_of_work():
        try:
            accounts.remove(email, actor="cli")
        except UserError as exc:
            raise _fail(exc) from None
    click.echo(f"Removed {email.strip().lower()}.")


@users.command("allow-domain")
@click.argument("domain")
@_ROLE
@_ORG
@with_appcontext
def allow_domain_command(domain: str, role: str, org_code: str | None) -> None:
    """Let anyone at DOMAIN sign in with NHSmail, with this role and organisation."""
    with unit_of_work():
        try:
            found = accounts.grant_domain(domain, role, org_code, actor="cli")
        except UserError as exc:
            raise _fail(exc) from None
    of = f" of {found.org_code}" if found.org_code else " (national)"
    click.echo(f"Anyone at {found.domain} may sign in as {found.role}{of}.")


@users.command("disallow-domain")
@click.argument("domain")
@with_appcontext
def disallow_domain_command(domain: str) -> None:
    """Withdraw a domain grant (accounts already made stay until removed)."""
    with unit_of_work():
        try:
            accounts.revoke_domain(domain, actor="cli")
        except UserError as exc:
            raise _fail(exc) from None
    click.echo(f"Withdrew the grant for {accounts.normalise_domain(domain)}.")


@users.command("disable-inactive")
@with_appcontext
def disable_inactive_command() -> None:
    """Disable accounts unused for INACTIVE_DAYS (daily, from cron)."""
    with unit_of_work():
        stale = accounts.disable_inactive()
    click.echo(f"Disabled {len(stale)} unused account(s).")
    for user in stale:
        click.echo(f"  {user.email}")


@users.command("list")
@with_appcontext
def list_command() -> None:
    """Every account and domain grant, with role, organisation and last sign-in."""
    for user in accounts.all_users():
        last = user.last_sign_in_at.strftime("%Y-%m-%d") if user.last_sign_in_at else "never"
        state = " (disabled)" if user.disabled_at else ""
        how = "password" if user.password_hash else "NHSmail"
        click.echo(f"{user.email:40} {describe(user):22} {how:9} last {last}{state}")
    for found in accounts.domain_grants():
        of = f" of {found.org_code}" if found.org_code else " (national)"
        click.echo(f"@{found.domain:39} {found.role}{of}")


def register(group: click.Group) -> None:
    group.add_command(users)
