"""`assessor actions cosign-links`."""

from __future__ import annotations

import click

from assessor.actions.cosign import DEFAULT_DAYS, cosign_link_url, create_cosign_links
from assessor.cli.links import links_command, print_new_links


@click.group("actions")
def actions() -> None:
    """Action plans: co-sign links for patient leaders."""


@links_command(
    actions,
    "cosign-links",
    options=[
        click.option(
            "--days",
            default=DEFAULT_DAYS,
            show_default=True,
            type=click.IntRange(1, 366),
            help="Days the links work for.",
        )
    ],
)
def cosign_links_command(campaign: str, org: str, count: int, days: int) -> None:
    """Print COUNT single-use links asking ORG's patient leaders to co-sign its plan after
    CAMPAIGN, one per line. A link made before the plan changed co-signs it as it then is."""
    print_new_links(
        lambda: create_cosign_links(campaign, org, count, days=days),
        cosign_link_url,
        f"{count} co-sign link(s) created for {org}'s plan after {campaign}, valid for"
        f" {days} days.",
    )


def register(group: click.Group) -> None:
    group.add_command(actions)
