"""Bounded integers in paths and query strings: a number no column can hold answers 404 (a
path) or the default (a query), never a 500 from the database (PostgreSQL's integer is 32-bit).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

#: The largest value of a 32-bit signed integer column (PostgreSQL `integer`).
INT_MAX = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` bounded to 0..INT_MAX unless the route says otherwise: no match is a 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def bounded_int(raw: str | None, default: int, low: int = 1, high: int = INT_MAX) -> int:
    """A query-string integer: `default` when missing, not a number, or outside low..high."""
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if low <= value <= high else default


def init_app(app: Flask) -> None:
    """Every `<int:...>` route is bounded: registered before any blueprint adds its rules."""
    app.url_map.converters["int"] = BoundedIntConverter
