"""Responses: submitting, voiding and in-progress answers (`submission`), the
record-level API and the CLI group."""

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor.extensions import api
    from assessor.responses.api import blp

    api.register_blueprint(blp)
