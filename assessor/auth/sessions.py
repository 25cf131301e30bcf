"""A board session: started the same way by every sign-in (password, NHSmail), audited,
and ended by sign-out everywhere, by disabling the account, or after SESSION_HOURS."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, session, url_for
from flask_login import login_user

from assessor.auth.accounts import audit
from assessor.models import User, utcnow
from assessor.web.transactions import keep_on_refusal

DEFAULT_SESSION_HOURS = 8
STARTED = "signed_in_at"


def start(user: User, method: str) -> None:
    """Sign `user` in (a fresh session: nothing from before sign-in is kept) and audit it."""
    session.clear()
    login_user(user)
    session[STARTED] = int(time.time())
    user.last_sign_in_at = utcnow()
    audit(user.email, "auth.sign_in", method=method)


def failed(email: str, method: str, reason: str) -> None:
    """Audit a refused sign-in (the address as typed or given by the provider)."""
    audit(email.strip().lower()[:200] or "-", "auth.sign_in_failed", method=method, reason=reason)
    keep_on_refusal()


def is_current(user: User) -> bool:
    """Whether the session of `user` may still be used: not disabled, not too old."""
    if user.disabled_at is not None:
        return False
    started = session.get(STARTED)
    hours = float(current_app.config.get("SESSION_HOURS") or DEFAULT_SESSION_HOURS)
    return isinstance(started, int) and time.time() - started < hours * 3600


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative `//` and no
    backslash (which browsers read as a slash)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def next_or_default(target: str | None) -> str:
    return target if is_safe_next(target) else url_for("dashboards.index")
