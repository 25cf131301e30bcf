"""Board dashboards: signed-in users only. Every number comes from results.campaign_results,
which applies suppression and the publication rule (scoring.md section 3)."""

from flask import Blueprint

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")

from assessor.dashboards import views  # noqa: E402,F401
