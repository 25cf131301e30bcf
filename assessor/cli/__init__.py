"""The `assessor` command. Each command group lives in its own module."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _create_app():  # type: ignore[no-untyped-def]
    from assessor import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Administer assessor: questionnaires, organisations, campaigns, results, tokens."""


def _register() -> None:
    from assessor.cli import core

    core.register(main)
    for name in (
        "questionnaires",
        "orgs",
        "campaigns",
        "invitations",
        "responses",
        "results",
        "users",
        "tokens",
        "actions",
    ):
        try:
            module = __import__(f"assessor.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"assessor.cli.{name}":
                raise
            continue
        module.register(main)


_register()
