"""`assessor invitations create`."""

from __future__ import annotations

import click

from assessor.campaigns.invitations import create_invitations, invitation_link
from assessor.cli.links import links_command, print_new_links


@click.group("invitations")
def invitations() -> None:
    """Issue single-use invitation links."""


@links_command(invitations, "create", arguments=["audience"])
def create_command(campaign: str, org: str, audience: str, count: int) -> None:
    """Print COUNT single-use links for CAMPAIGN, organisation code ORG and AUDIENCE
    (staff or patient_leader), one per line. Only hashes are stored: keep the links."""
    print_new_links(
        lambda: create_invitations(campaign, org, audience, count),
        invitation_link,
        f"{count} invitation(s) created for {org} ({audience}) in {campaign}.",
    )


def register(group: click.Group) -> None:
    group.add_command(invitations)
