"""assessor: measures how far NHS organisations share power with patient leaders."""

from __future__ import annotations

from typing import Any

from flask import Flask

from assessor.config import Config


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Application factory: settings from the environment, then the caller's overrides."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(Config().as_dict())
    if overrides:
        app.config.update(overrides)

    from assessor.extensions import db, login_manager

    db.init_app(app)
    login_manager.init_app(app)

    from assessor import errors, guards, transactions

    guards.init_app(app)
    transactions.init_app(app)
    errors.init_app(app)

    from assessor.api import init_api

    init_api(app)

    from assessor.public import bp as public_bp

    app.register_blueprint(public_bp)

    from assessor import headers, limits, presentation
    from assessor.auth import csrf
    from assessor.auth.views import bp as auth_bp
    from assessor.dashboards import bp as dashboards_bp
    from assessor.dashboards.assets import assets_bp
    from assessor.published import bp as published_bp
    from assessor.survey import bp as survey_bp

    csrf.init_app(app)
    limits.init_app(app)
    headers.init_app(app)
    presentation.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboards_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(published_bp)
    app.register_blueprint(survey_bp)

    from assessor import actions

    actions.init_app(app)

    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    return app
