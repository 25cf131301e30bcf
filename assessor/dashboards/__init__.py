"""Board dashboards: signed-in users only. Every number comes from the results read model
(`results.read`), which applies suppression and the publication rule (scoring.md s.3, s.6);
`figures` turns it into Plotly charts with their tables."""

from flask import Blueprint

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")

from assessor.dashboards import views  # noqa: E402,F401
