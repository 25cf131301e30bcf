"""Checks every request passes before any view sees it: a body over MAX_CONTENT_LENGTH is
refused with 413 even when sent chunked (no Content-Length), and NUL characters, which no
name, filter or answer needs and PostgreSQL cannot store or compare, are refused wherever
they appear: 404 in the path, 422 in an API query, 400 in a page's query or form."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge, UnprocessableEntity

NUL = "\x00"


def _refuse_large_body(limit: int | None) -> None:
    if limit is None:
        return
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    data = request.get_data(cache=True)
    # Werkzeug stops a chunked body at the limit without complaint; one more byte waiting
    # means the body was larger.
    chunked = request.content_length is None and len(data) >= limit
    if chunked and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def _nul_fields(pairs: list[tuple[str, str]]) -> list[str]:
    return sorted({key for key, value in pairs if NUL in key + value})


def guard() -> None:
    """Run before every view (registered first, so before authentication too)."""
    from flask import current_app

    # A view may allow a larger body (a file upload) with a `max_body` attribute.
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "max_body", None):
        request.max_content_length = view.max_body  # type: ignore[union-attr]
    _refuse_large_body(request.max_content_length)
    if NUL in request.path:
        raise NotFound()
    bad = _nul_fields(list(request.args.items(multi=True)))
    if request.path.startswith("/api/"):
        if bad:
            invalid = UnprocessableEntity("NUL characters are not allowed in the query.")
            invalid.data = {"messages": {key: ["NUL characters are not allowed."] for key in bad}}
            raise invalid
        return
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        bad += _nul_fields(list(request.form.items(multi=True)))
    if bad:
        raise BadRequest("The form holds a character that is not allowed. Check what you typed.")


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, guard)
