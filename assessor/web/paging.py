"""Cursor paging for every JSON list: `{"items", "next", "total"}`.

A cursor is JSON encrypted with AES-GCM under a key derived from SECRET_KEY, holding the
filters it was issued for, a `pin` fixing what the first page saw (for example the highest
response sequence number that existed then), `after`, the sort key of the last row already
returned, and an expiry. Later pages read rows after `after` within the pin, so a client
paging while rows arrive never sees a row twice and never skips one that the first page
could have seen; rows added since appear in the next run. Encryption keeps internal numbers
(sequence numbers count survey starts) unreadable; its tag means a cursor that was altered,
truncated, expired or issued for another list is refused with 400.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
from flask import current_app, request
from sqlalchemy import ColumnElement, func, or_, select
from werkzeug.exceptions import BadRequest

from assessor.extensions import db
from assessor.web.crypto import DecryptionError, open_sealed, seal

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class ListArgs(ma.Schema):
    """Query arguments every list takes; lists with filters subclass it."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, 1..{MAX_LIMIT}."},
    )
    cursor = ma.fields.String(
        metadata={"description": "Opaque: copy it from the previous page's `next`."},
    )


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The page envelope around one item schema (a named class, so that the OpenAPI
    document has one component per list)."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "next": ma.fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "The next page's URL, or null on the last page."},
            ),
            "total": ma.fields.Integer(
                required=True, metadata={"description": "Items in the whole list."}
            ),
        },
    )


@dataclass(frozen=True)
class Cursor:
    pin: Any
    after: Any


class InvalidCursor(BadRequest):
    description = "The cursor is not valid for this list; start again without one."


#: A night's paging through a national campaign fits easily; an older cursor is refused.
CURSOR_MAX_AGE_SECONDS = 24 * 3600
_PURPOSE = "assessor.web.api.cursor"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _filters(args: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in sorted(args.items()) if k not in ("limit", "cursor")}


def read_cursor(args: Mapping[str, Any]) -> Cursor | None:
    """The cursor of this request, or None on a first page. 400 when it was tampered with
    or belongs to another list or other filters."""
    raw = args.get("cursor")
    if raw is None:
        return None
    try:
        data = open_sealed(current_app.config["SECRET_KEY"], _PURPOSE, raw)
    except DecryptionError:
        raise InvalidCursor() from None
    if (
        not isinstance(data, dict)
        or data.get("e") != request.endpoint
        or data.get("v") != dict(request.view_args or {})
        or data.get("f") != _filters(args)
        or "p" not in data
        or "a" not in data
        or not isinstance(data.get("x"), int)
        or data["x"] < time.time()
    ):
        raise InvalidCursor()
    return Cursor(pin=data["p"], after=data["a"])


def next_url(args: Mapping[str, Any], cursor: Cursor) -> str:
    token = seal(
        current_app.config["SECRET_KEY"],
        _PURPOSE,
        {
            "e": request.endpoint,
            "v": dict(request.view_args or {}),
            "f": _filters(args),
            "p": cursor.pin,
            "a": cursor.after,
            "x": int(time.time()) + CURSOR_MAX_AGE_SECONDS,
        },
    )
    query = request.args.to_dict(flat=False)
    query["cursor"] = [token]
    return f"{request.base_url}?{urlencode(query, doseq=True)}"


def page(
    items: Sequence[Any], total: int, args: Mapping[str, Any], *, more: bool, pin: Any, after: Any
) -> dict[str, Any]:
    """The envelope; `more` says whether rows remain after `after` within the pin."""
    return {
        "items": list(items),
        "next": next_url(args, Cursor(pin, after)) if more else None,
        "total": total,
    }


def page_of_list(
    rows: Sequence[Any], key: Callable[[Any], Any], args: Mapping[str, Any]
) -> dict[str, Any]:
    """Page a list computed in memory (results, benchmarks), sorted by `key`, whose values
    must be JSON-comparable (strings or lists of strings and numbers)."""
    cursor = read_cursor(args)
    ordered = sorted(rows, key=key)
    if cursor is not None:
        try:
            ordered = [r for r in ordered if key(r) > cursor.after]
        except TypeError:
            raise InvalidCursor() from None
    limit = args["limit"]
    chunk = ordered[:limit]
    return page(
        chunk,
        len(rows),
        args,
        more=len(ordered) > limit,
        pin=None,
        after=key(chunk[-1]) if chunk else None,
    )


def page_of_query(
    entity: type[Any],
    args: Mapping[str, Any],
    *,
    order_by: Sequence[Any],
    pin_by: Any = None,
    dump: Callable[[Any], Any] = lambda row: row,
) -> dict[str, Any]:
    """Page the rows of a table in `order_by` order (columns that together are unique).
    With `pin_by` (an id column) later pages see only the rows that existed when the first
    page was read."""
    cursor = read_cursor(args)
    pinned: list[ColumnElement[bool]] = []
    pin = None
    if pin_by is not None:
        pin = cursor.pin if cursor else db.session.scalar(select(func.max(pin_by)))
        pin = pin or 0
        pinned.append(pin_by <= pin)
    query = select(entity).where(*pinned)
    if cursor is not None:
        query = query.where(_past(order_by, cursor.after))
    limit = args["limit"]
    rows = db.session.scalars(query.order_by(*order_by).limit(limit + 1)).all()
    chunk = rows[:limit]
    total = db.session.scalar(select(func.count()).select_from(entity).where(*pinned))
    return page(
        [dump(row) for row in chunk],
        int(total or 0),
        args,
        more=len(rows) > limit,
        pin=pin,
        after=_sort_key(order_by, chunk[-1]) if chunk else None,
    )


def _sort_key(columns: Sequence[Any], row: Any) -> Any:
    """A row's `after`: the value of a single sort column, else the list of them."""
    values = [getattr(row, column.key) for column in columns]
    return values[0] if len(values) == 1 else values


def _past(columns: Sequence[Any], after: Any) -> ColumnElement[bool]:
    """Rows sorting after `after` (keyset paging, compared column by column)."""
    values = [after] if len(columns) == 1 else list(after)
    if len(values) != len(columns):
        raise InvalidCursor()
    return _lexically_after(list(zip(columns, values, strict=True)))


def _lexically_after(pairs: list[tuple[Any, Any]]) -> ColumnElement[bool]:
    (column, value), *rest = pairs
    if not rest:
        return column > value
    return or_(column > value, (column == value) & _lexically_after(rest))
