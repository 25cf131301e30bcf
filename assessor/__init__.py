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

    from assessor.extensions import api, db, login_manager

    db.init_app(app)
    login_manager.init_app(app)

    from assessor.web import (
        api_docs,
        converters,
        errors,
        guards,
        headers,
        health,
        limits,
        logs,
        metrics,
        presentation,
        probes,
        transactions,
    )
    from assessor.web.api import init_api

    converters.init_app(app)
    guards.init_app(app)
    logs.init_app(app)
    metrics.init_app(app)
    transactions.init_app(app)
    init_api(app)
    api.register_blueprint(health.blp)
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(probes.bp)
    # flask-smorest registers its own HTTPException handler (plain JSON); the application's
    # answers problem+json under /api/ and pages elsewhere.
    errors.init_app(app)

    from assessor.auth import csrf, pages

    csrf.init_app(app)
    limits.init_app(app)
    headers.init_app(app)
    presentation.init_app(app)
    pages.init_app(app)

    from assessor import (
        actions,
        campaigns,
        dashboards,
        organisations,
        published,
        questionnaires,
        responses,
        survey,
    )
    from assessor.results import api as results_api

    for feature in (
        organisations,
        questionnaires,
        campaigns,
        responses,
        results_api,
        published,
        dashboards,
        survey,
        actions,
    ):
        feature.init_app(app)

    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
