"""Board dashboards: signed-in users only. Every number comes from the results read model
(`results.read`), which applies suppression and the publication rule (scoring.md s.3, s.6);
`figures` turns it into Plotly charts with their tables."""

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor import results
    from assessor.dashboards.assets import assets_bp
    from assessor.dashboards.comments import SECTION, published_section
    from assessor.dashboards.views import bp

    results.SECTIONS[SECTION] = published_section
    app.register_blueprint(bp)
    app.register_blueprint(assets_bp)
