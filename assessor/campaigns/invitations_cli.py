"""`assessor invitations create`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from assessor.campaigns.invitations import (
    MAX_PER_CALL,
    InvitationError,
    create_invitations,
    invitation_link,
)
from assessor.cli.links import print_new_links

_ARGUMENT_NAMES = {"campaign": "CAMPAIGN", "org": "ORG", "audience": "AUDIENCE", "count": "--count"}


@click.group("invitations")
def invitations() -> None:
    """Issue single-use invitation links."""


@invitations.command("create")
@click.argument("campaign")
@click.argument("org")
@click.argument("audience")
@click.option("--count", required=True, type=click.IntRange(1, MAX_PER_CALL), help="How many.")
@with_appcontext
def create_command(campaign: str, org: str, audience: str, count: int) -> None:
    """Print COUNT single-use links for CAMPAIGN, organisation code ORG and AUDIENCE
    (staff or patient_leader), one per line. Only hashes are stored: keep the links."""
    print_new_links(
        lambda: create_invitations(campaign, org, audience, count),
        invitation_link,
        InvitationError,
        _ARGUMENT_NAMES,
        f"{count} invitation(s) created for {org} ({audience}) in {campaign}.",
    )


def register(group: click.Group) -> None:
    group.add_command(invitations)
