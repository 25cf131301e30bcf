"""CSRF protection for the HTML forms, without a new dependency: one random token per session,
kept in the signed session cookie and echoed in a hidden field. A cross-site page can make the
browser send the cookie but cannot read it, so it cannot echo the token."""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session

SESSION_KEY = "csrf_token"
FIELD = "csrf_token"


def csrf_token() -> str:
    """The session's token, created on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def csrf_valid() -> bool:
    """Whether the submitted form carries the session's token."""
    expected = session.get(SESSION_KEY)
    given = request.form.get(FIELD, "")
    return isinstance(expected, str) and bool(expected) and hmac.compare_digest(expected, given)


def check_csrf() -> None:
    """Abort with 400 unless the submitted form carries the session's token."""
    if not csrf_valid():
        abort(400, description="This form has expired. Go back, reload the page and try again.")


def init_app(app: Flask) -> None:
    app.add_template_global(csrf_token)
