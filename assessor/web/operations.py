"""The decorators every read operation of the API wears, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import marshmallow as ma
from flask_smorest import Blueprint

from assessor.auth.bearer import require_scope
from assessor.web.api import problem_responses

F = TypeVar("F", bound=Callable[..., Any])


def read_operation(
    blp: Blueprint,
    scope: str,
    response: Any,
    problems: tuple[int, ...],
    *,
    query: type[ma.Schema] | None = None,
    **response_options: Any,
) -> Callable[[F], F]:
    """A GET that needs a token with `scope`, documents `problems` as problem+json, reads
    `query` arguments (unknown ones refused) as keyword arguments and answers 200 with
    `response`."""

    def decorator(func: F) -> F:
        func = blp.response(200, response, **response_options)(func)
        if query is not None:
            func = blp.arguments(query, location="query", as_kwargs=True, unknown=ma.RAISE)(func)
        return require_scope(scope)(problem_responses(*problems)(func))

    return decorator
