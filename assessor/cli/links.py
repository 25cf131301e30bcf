"""Printing single-use links once, as the invitation and co-sign commands do."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import click

from assessor.web.transactions import unit_of_work


def print_new_links(
    create: Callable[[], Sequence[str]],
    url_of: Callable[[str], str],
    error: type[Exception],
    argument_names: Mapping[str, str],
    summary: str,
) -> None:
    """Create links and print each once (only their hashes are stored). A refusal (`error`,
    with the name of its `argument`) stores nothing and names the argument at fault."""
    with unit_of_work():
        try:
            tokens = create()
        except error as exc:
            argument = getattr(exc, "argument", "")
            raise click.BadParameter(
                str(exc), param_hint=argument_names.get(argument, argument)
            ) from None
    for token in tokens:
        click.echo(url_of(token))
    click.echo(f"{summary} The links cannot be shown again.", err=True)
