"""Campaigns: creating, opening and closing them (`service`), single-use invitations,
their API resources and CLI groups."""

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor.campaigns.api import blp
    from assessor.campaigns.reaching_views import bp
    from assessor.extensions import api

    api.register_blueprint(blp)
    app.register_blueprint(bp)
