"""Board sign-in and sign-out. A failed sign-in always says the same thing, so that the page
cannot be used to learn which addresses have accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from assessor.auth import accounts, mfa, mfa_views, oidc, sessions
from assessor.auth.csrf import check_csrf
from assessor.auth.passwords import authenticate, end_sessions
from assessor.auth.sessions import is_safe_next, next_or_default
from assessor.extensions import db, login_manager
from assessor.models import User
from assessor.web.limits import (
    account_key,
    address_key,
    failed_sign_in,
    limiter,
    login_account_limit,
    login_address_limit,
)

bp = Blueprint("auth", __name__)

GENERIC_FAILURE = "Enter a correct email address and password"

login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to see the dashboards."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session, only while the session's version is the user's current one:
    sign-out and a password change bump it, ending every older session."""
    user_id, _, version = session_id.partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or str(user.session_version) != version or not sessions.is_current(user):
        return None
    return user


@bp.errorhandler(400)
def bad_request(exc: HTTPException) -> tuple[str, int]:
    return render_template("errors/400.html", message=exc.description), 400


TOO_MANY = "Too many failed sign-ins. Wait 15 minutes and try again"


@bp.errorhandler(429)
def too_many_attempts(exc: HTTPException) -> tuple[str, int]:
    errors = {"email": TOO_MANY}
    html = render_template(
        "auth/login.html",
        errors=errors,
        summary={TOO_MANY: "email"},
        email="",
        next_target=None,
        sso=oidc.configured(),
    )
    return html, 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    login_account_limit, key_func=account_key, methods=["POST"], deduct_when=failed_sign_in
)
@limiter.limit(
    login_address_limit, key_func=address_key, methods=["POST"], deduct_when=failed_sign_in
)
def login() -> str | tuple[str, int] | Response:
    next_target = request.values.get("next")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_or_default(next_target))
    errors: dict[str, str] = {}
    email = ""
    if request.method == "POST":
        check_csrf()
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        if not email:
            errors["email"] = "Enter your email address"
        if not password:
            errors["password"] = "Enter your password"
        if not errors:
            user = authenticate(email, password)
            if user is None or user.disabled_at is not None or accounts.is_stale(user):
                sessions.failed(email, "password", "refused")
                if user is not None:
                    accounts.disable(user, "unused", actor="system")
                errors = {"email": GENERIC_FAILURE, "password": GENERIC_FAILURE}
            else:
                return after_password(user, next_or_default(next_target))
    summary: dict[str, str] = {}
    for field, message in errors.items():
        if message not in summary:
            summary[message] = field
    html = render_template(
        "auth/login.html",
        errors=errors,
        summary=summary,
        email=email,
        next_target=next_target if is_safe_next(next_target) else None,
        sso=oidc.configured(),
    )
    return (html, 400) if errors else html


def after_password(user: User, target: str) -> Response:
    """A right password: sign in, or ask for the second factor first (auth.mfa)."""
    if user.totp_secret or mfa.required(user):
        return mfa_views.begin(user, target)
    sessions.start(user, "password")
    return redirect(target)


@bp.post("/logout")
def logout() -> Response:
    check_csrf()
    if current_user.is_authenticated:
        end_sessions(current_user)
        accounts.audit(current_user.email, "auth.sign_out")
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("public.index"))
