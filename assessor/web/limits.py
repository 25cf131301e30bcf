"""Request limits (Flask-Limiter): open-link survey starts, invitation links, board
sign-in and API submissions.

Counters live in Redis when REDIS_URL is set, so every worker on every host shares them,
otherwise in this process's memory (a pilot with one process). Keys are HMAC digests of the
client address (and campaign, account or token), never the address itself, and nothing of
them reaches the database. If Redis is down, requests are let through and the error logged:
respondents should not be turned away because a guard is down.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from werkzeug.wrappers import Response

limiter = Limiter(key_func=lambda: _digest("address", _address()))


def _address() -> str:
    return request.remote_addr or "unknown"


def _digest(*parts: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    message = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def address_key() -> str:
    """The client address alone (invitation links, sign-in from one network)."""
    return _digest("address", _address())


def open_link_key() -> str:
    """The client address and the campaign of an open link."""
    return _digest("open-link", _address(), str((request.view_args or {}).get("slug", "")))


def account_key() -> str:
    """The account a sign-in names, whichever address the attempts come from."""
    return _digest("account", request.form.get("email", "").strip().lower())


def second_factor_key() -> str:
    """The account waiting for its second factor (held in the session by `auth.mfa_views`)."""
    from flask import session

    account = session.get("mfa_user") or session.get("_user_id") or ""
    return _digest("second-factor", str(account).partition(":")[0])


def token_key() -> str:
    """The API token submitting (unauthenticated requests never get this far)."""
    header = request.headers.get("Authorization", "")
    return _digest("token", header.partition(" ")[2].strip())


def survey_starts_limit() -> str:
    return f"{int(current_app.config['SURVEY_STARTS_PER_HOUR'])} per hour"


def invitation_limit() -> str:
    return str(current_app.config["INVITATION_LIMIT"])


def login_account_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def login_address_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


def api_submissions_limit() -> str:
    return str(current_app.config["API_SUBMISSIONS_LIMIT"])


def failed_sign_in(response: Response) -> bool:
    """Only failed sign-ins count: a success redirects."""
    return response.status_code != 302


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 0.5})
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "assessor")
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # Flask-Limiter's X-RateLimit-* headers cost a second storage round trip on every limited
    # request (a fifth of an API submission's time in the limiter); only a refusal needs to
    # say when to retry, so Retry-After is set on 429s alone (below).
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    if app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config.pop("RATELIMIT_STORAGE_OPTIONS")
    limiter.init_app(app)
    app.after_request(retry_after)


def retry_after(response: Response) -> Response:
    """On a 429 from a limit, Retry-After: the whole seconds until the window lets one more
    request in (at least 1)."""
    if response.status_code != 429 or "Retry-After" in response.headers:
        return response
    breached = limiter.current_limit
    if breached is not None:
        try:
            wait = breached.reset_at - time.time()
        except Exception:  # storage down: the refusal still says to come back later
            current_app.logger.exception("rate limit storage unreachable for Retry-After")
            wait = 60
        response.headers["Retry-After"] = str(max(1, int(wait)))
    return response
