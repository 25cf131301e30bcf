"""Board dashboards: signed-in users only. Every number comes from the results read model
(`results.read`), which applies suppression and publication (scoring.md sections 3 and 6)."""

from flask import Blueprint

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")

from assessor.dashboards import views  # noqa: E402,F401
