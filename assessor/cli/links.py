"""Commands that print single-use links once: the invitation and co-sign commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click
from flask.cli import with_appcontext

from assessor.campaigns.invitations import MAX_PER_CALL, LinkRequestError
from assessor.web.transactions import unit_of_work

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def links_command(
    group: click.Group,
    name: str,
    *,
    arguments: Sequence[str] = (),
    options: Sequence[Decorator] = (),
) -> Callable[[Callable[..., Any]], click.Command]:
    """A command of `group` taking CAMPAIGN ORG, then `arguments`, `--count` and `options`,
    run in the app context."""

    def decorator(func: Callable[..., Any]) -> click.Command:
        # Click lists parameters in the reverse of the order they are applied.
        func = with_appcontext(func)
        for option in reversed(options):
            func = option(func)
        func = click.option(
            "--count", required=True, type=click.IntRange(1, MAX_PER_CALL), help="How many."
        )(func)
        for argument in reversed(["campaign", "org", *arguments]):
            func = click.argument(argument)(func)
        return group.command(name)(func)

    return decorator


def _hint(argument: str) -> str:
    """How click names the current command's parameter `argument` (ORG, --count)."""
    for param in click.get_current_context().command.params:
        if param.name == argument:
            return param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
    return argument


def print_new_links(
    create: Callable[[], Sequence[str]], url_of: Callable[[str], str], summary: str
) -> None:
    """Create links and print each once (only their hashes are stored). A refusal stores
    nothing and names the argument at fault."""
    with unit_of_work():
        try:
            tokens = create()
        except LinkRequestError as exc:
            raise click.BadParameter(str(exc), param_hint=_hint(exc.argument)) from None
    for token in tokens:
        click.echo(url_of(token))
    click.echo(f"{summary} The links cannot be shown again.", err=True)
