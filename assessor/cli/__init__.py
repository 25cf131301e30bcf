"""The `assessor` command: core commands here, and each feature's group from its `cli` module."""

from __future__ import annotations

import importlib

import click
from flask.cli import FlaskGroup


def _create_app():  # type: ignore[no-untyped-def]
    from assessor import create_app

    return create_app()


class _AssessorGroup(FlaskGroup):
    """Collects the feature groups on first use, not at import: a feature's CLI module may
    import helpers from this package without importing itself in a circle."""

    _registered = False

    def _ensure(self) -> None:
        if not _AssessorGroup._registered:
            _AssessorGroup._registered = True
            _register()

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._ensure()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._ensure()
        return super().get_command(ctx, name)


@click.group(cls=_AssessorGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Administer assessor: questionnaires, organisations, campaigns, results, tokens."""


def _register() -> None:
    from assessor.cli import core

    core.register(main)
    for name in (
        "assessor.questionnaires.cli",
        "assessor.organisations.cli",
        "assessor.campaigns.cli",
        "assessor.campaigns.invitations_cli",
        "assessor.campaigns.contacts_cli",
        "assessor.responses.cli",
        "assessor.results.cli",
        "assessor.auth.users_cli",
        "assessor.auth.tokens_cli",
        "assessor.actions.cli",
        "assessor.jobs.cli",
        "assessor.campaigns.sending_cli",
    ):
        module = importlib.import_module(name)
        module.register(main)
