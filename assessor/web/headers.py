"""Security headers on every response, and `no-store` on anything behind a sign-in or a
token, in a few lines rather than a dependency: the pages use no inline script or style and
load nothing from elsewhere, so one strict policy fits the whole site."""

from __future__ import annotations

from flask import Flask, request, session
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Plotly.js inserts its own stylesheet and styles the chart nodes it draws: pages with
#: charts allow inline styles (never inline script), set by their blueprint.
CHART_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def _behind_sign_in() -> bool:
    """A board session or an API token: what the response holds is for that reader only."""
    return bool(session.get("_user_id")) or "Authorization" in request.headers


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if _behind_sign_in() or request.path == "/login":
            response.headers["Cache-Control"] = "no-store"
            response.vary.update(("Cookie", "Authorization"))
        return response
