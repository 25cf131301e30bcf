"""Board dashboards: signed-in users only. Every number comes from the results read model
(`results.read`), which applies suppression and the publication rule (scoring.md s.3, s.6);
`figures` turns it into Plotly charts with their tables."""

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor.dashboards.assets import assets_bp
    from assessor.dashboards.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(assets_bp)
