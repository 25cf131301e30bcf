"""Errors as RFC 9457 problem documents for the API; plain pages elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, render_template, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
#: Errors a page visitor may meet outside any page's own handling, said in the site's frame.
PLAIN_WORDS = {
    405: "That cannot be done at this address",
    413: "That was too large to send",
    429: "Too many requests: please try again later",
}


def problem(
    status: int,
    title: str,
    detail: str = "",
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | HTTPException:
        if not _wants_problem():
            # The one 404 page of the site (pages); the API's 404 is problem+json below.
            if exc.code == 404:
                return render_template("errors/404.html"), 404  # type: ignore[return-value]
            if exc.code in PLAIN_WORDS:  # the site's frame, not Werkzeug's bare page
                page = render_template(
                    "errors/http.html", heading=PLAIN_WORDS[exc.code], message=exc.description
                )
                return Response(
                    page,
                    exc.code,
                    headers=dict(exc.get_headers()) | {"Content-Type": "text/html; charset=utf-8"},
                )
            return exc
        errors = None
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and "messages" in data:
            errors = flatten_messages(data["messages"])
        headers = dict(exc.get_headers()) if exc.code in (405, 429) else {}
        headers.pop("Content-Type", None)
        return problem(
            exc.code or 500,
            exc.name,
            exc.description or exc.name,
            errors=errors,
            headers=headers,
        )

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError) -> Response:
        """The database went away (a restart, a failover): 503, nothing was stored, the
        client may retry; the pool reconnects on the next request. Anything else is a 500."""
        lost = exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
        if not lost:
            return unexpected(exc)
        app.logger.warning("database unavailable: %s", exc.orig)
        if _wants_problem():
            return problem(
                503,
                "Service Unavailable",
                "The database cannot be reached; nothing was stored. Try again shortly.",
                headers={"Retry-After": "2"},
            )
        return Response(
            "The service is briefly unavailable. Try again in a moment.",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "2"},
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        if _wants_problem():
            return problem(500, "Internal Server Error", "An unexpected error occurred.")
        return Response("Internal Server Error", status=500, mimetype="text/plain")


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests messages by location and field; clients want one field path per key,
    e.g. {"answers.gov-3": [...]}, without the location (json, query)."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "form", "headers", "view_args"):
                out.update(flatten_messages(value, ""))
                continue
            path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_messages(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_schema"] = list(messages)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out
