"""One commit per request: services only flush; the request commits when the view succeeded
and rolls back otherwise, so that a failed request never stores half of anything."""

from __future__ import annotations

from flask import Flask, Response

from assessor.extensions import db


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_on_success(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def rollback_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
