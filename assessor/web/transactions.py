"""One unit of work per request and per CLI command: services only flush; the request (or
command) commits once when it succeeded and rolls back otherwise, so that nothing is half
stored. The request commits before its response leaves (Indico's `RH.process` does the
same), so a commit that fails becomes a 409 or 503, never a response that claims success."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, Response, g, render_template, request
from sqlalchemy.exc import DBAPIError, IntegrityError

from assessor.extensions import db
from assessor.web.errors import problem

CONFLICT = "The change conflicts with one made at the same time; nothing was stored."
UNAVAILABLE = "The database could not store the change; nothing was stored. Try again shortly."


def _failed_commit(status: int, title: str, detail: str, headers: dict[str, str]) -> Response:
    if request.path.startswith("/api/"):
        return problem(status, title, detail, headers=headers)
    # The session was rolled back, so the page (and its layout) reads afresh.
    page = render_template("errors/unstored.html", detail=detail)
    return Response(page, status=status, mimetype="text/html", headers=headers)


def keep_on_refusal() -> None:
    """Commit this request's work even though it answers 4xx: a refused sign-in's audit
    record must outlive the refusal."""
    g.keep_on_refusal = True


def commit_or_refuse(response: Response) -> Response:
    """Commit a successful request's work, or answer why it could not be stored."""
    if response.status_code >= 500 or (
        response.status_code >= 400 and not g.get("keep_on_refusal")
    ):
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _failed_commit(409, "Conflict", CONFLICT, {})
    except DBAPIError:
        db.session.rollback()
        return _failed_commit(503, "Service Unavailable", UNAVAILABLE, {"Retry-After": "2"})
    return response


@contextmanager
def unit_of_work(*refusals: type[Exception]) -> Iterator[None]:
    """A CLI command's transaction: commit at the end, roll back on any error; a commit that
    fails, or one of the `refusals` (a service saying no), is reported as the command's
    error, with nothing stored."""
    try:
        yield
    except refusals as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    except BaseException:
        db.session.rollback()
        raise
    try:
        db.session.commit()
    except DBAPIError as exc:
        db.session.rollback()
        raise click.ClickException(f"nothing was stored: {exc.orig}") from None


def init_app(app: Flask) -> None:
    # after_request runs before the response is sent, and may replace it.
    app.after_request(commit_or_refuse)

    @app.teardown_request
    def rollback_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
