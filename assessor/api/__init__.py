"""The JSON API (api.md): flask-smorest blueprints, one module per resource."""

from __future__ import annotations

from flask import Flask

from assessor.extensions import api


def init_api(app: Flask) -> None:
    api.init_app(app)
