"""The second step of a password sign-in: a code from the authenticator (or a recovery
code), and enrolling an authenticator (required of password admins before their first
sign-in completes; offered to every password account)."""

from __future__ import annotations

import time

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from assessor.auth import mfa, sessions
from assessor.auth.csrf import check_csrf
from assessor.extensions import db
from assessor.models import User
from assessor.web.limits import limiter, login_account_limit, second_factor_key

bp = Blueprint("mfa", __name__)
PENDING, SINCE, NEXT, SECRET = "mfa_user", "mfa_since", "mfa_next", "mfa_secret"
#: A right password waits this long for its second factor.
PENDING_SECONDS = 600
WRONG_CODE = "Enter the 6-digit code your authenticator app shows now, or a recovery code"
Page = str | tuple[str, int] | Response


def begin(user: User, target: str) -> Response:
    """A right password: remember whose it was, then ask for the second factor (or, for an
    admin without one, for enrolment)."""
    session.clear()
    session[PENDING] = user.get_id()
    session[SINCE] = int(time.time())
    session[NEXT] = target
    return redirect(url_for("mfa.verify" if user.totp_secret else "mfa.enrol"))


def _pending() -> User | None:
    """The account whose password was right a moment ago, if still waiting."""
    user_id, _, version = str(session.get(PENDING, "")).partition(":")
    since = session.get(SINCE)
    if not user_id.isdigit() or not isinstance(since, int):
        return None
    if time.time() - since > PENDING_SECONDS:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or str(user.session_version) != version or user.disabled_at is not None:
        return None
    return user


def _failed(response: Response) -> bool:
    return response.status_code == 400


def _limited(func):  # type: ignore[no-untyped-def]
    return limiter.limit(
        login_account_limit, key_func=second_factor_key, methods=["POST"], deduct_when=_failed
    )(func)


@bp.errorhandler(429)
def too_many(exc: HTTPException) -> tuple[str, int]:
    message = "Too many wrong codes. Wait 15 minutes and sign in again"
    return render_template("auth/verify.html", error=message), 429


@bp.route("/login/verify", methods=["GET", "POST"])
@_limited
def verify() -> Page:
    user = _pending()
    if user is None or not user.totp_secret:
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("auth/verify.html", error=None)
    check_csrf()
    how = mfa.verify(user, request.form.get("code", ""))
    if how is None:
        sessions.failed(user.email, "password", "wrong second factor")
        return render_template("auth/verify.html", error=WRONG_CODE), 400
    target = session.get(NEXT) or url_for("dashboards.index")
    sessions.start(user, f"password and {how}")
    return redirect(sessions.next_or_default(target))


def _enrolling() -> tuple[User, bool]:
    """(the account enrolling, whether it is signed in already)."""
    if current_user.is_authenticated and current_user.password_hash is not None:
        return current_user, True
    user = _pending()
    if user is None:
        abort(redirect(url_for("auth.login")))
    return user, False


@bp.route("/login/enrol", methods=["GET", "POST"])
@_limited
def enrol() -> Page:
    user, signed_in = _enrolling()
    secret = session.get(SECRET)
    if not isinstance(secret, str) or request.method == "GET":
        secret = session[SECRET] = mfa.new_secret()
    uri = mfa.provisioning_uri(user, secret)
    page = {"qr": mfa.qr_svg(uri), "secret": secret, "required": mfa.required(user)}
    if user.totp_secret and request.method == "GET":
        return render_template("auth/enrol.html", enrolled=True, error=None, **page)
    if request.method == "GET":
        return render_template("auth/enrol.html", enrolled=False, error=None, **page)
    check_csrf()
    codes = mfa.enrol(user, secret, request.form.get("code", ""))
    if codes is None:
        html = render_template("auth/enrol.html", enrolled=False, error=WRONG_CODE, **page)
        return html, 400
    target = sessions.next_or_default(session.get(NEXT))
    if signed_in:
        session.pop(SECRET, None)
    else:
        sessions.start(user, "password and new authenticator")
    return render_template("auth/recovery_codes.html", codes=codes, target=target)
