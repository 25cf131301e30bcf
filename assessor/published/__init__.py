"""Published results, readable by everyone without signing in: patient leaders above all
(design.md, "Everyone"), and the landing, methodology, privacy and easy-read pages. Nothing is
shown here that the disclosure rule withholds."""

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor.published import report  # noqa: F401  (its routes join the blueprint)
    from assessor.published.landing import bp as landing_bp
    from assessor.published.views import bp

    app.register_blueprint(landing_bp)
    app.register_blueprint(bp)
