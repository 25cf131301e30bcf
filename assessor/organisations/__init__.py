"""Organisations: importing them from CSV (the headed layout or NHS ODS's eccg.csv)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor.extensions import api
    from assessor.organisations.api import blp

    api.register_blueprint(blp)
