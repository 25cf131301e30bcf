"""The sign-in pages' blueprints: password sign-in, NHSmail, the second factor, and the
administrators' page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor.auth.admin_views import bp as admin_users_bp
    from assessor.auth.mfa_views import bp as mfa_bp
    from assessor.auth.oidc import bp as oidc_bp
    from assessor.auth.views import bp as auth_bp

    for bp in (auth_bp, oidc_bp, mfa_bp, admin_users_bp):
        app.register_blueprint(bp)
