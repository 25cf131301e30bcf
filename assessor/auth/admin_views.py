"""The administrators' page of who may come in: accounts, grants by address (one or a CSV),
domain grants, removals. Every change is audited by `accounts`."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from assessor.auth import accounts, roles
from assessor.auth.csrf import check_csrf
from assessor.auth.passwords import UserError
from assessor.extensions import login_manager

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


@bp.before_request
def admins_only() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not roles.is_admin(current_user):
        abort(403, description="Only administrators manage who may sign in.")
    if request.method == "POST":
        check_csrf()
    return None


def _page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    html = render_template(
        "auth/admin_users.html",
        users=accounts.all_users(),
        domains=accounts.domain_grants(),
        roles=roles.ROLES,
        describe=roles.describe,
        error=error,
        form=request.form if error else {},
    )
    return html, status


def _done(message: str) -> Response:
    flash(message)
    return redirect(url_for("admin_users.index"))


@bp.get("")
def index() -> tuple[str, int]:
    return _page()


@bp.post("/grant")
def grant() -> Response | tuple[str, int]:
    form = request.form
    try:
        user, outcome = accounts.grant(
            form.get("email", ""), form.get("role", ""), form.get("org"), actor=current_user.email
        )
    except UserError as exc:
        return _page(str(exc).capitalize(), 400)
    return _done(f"{user.email}: {roles.describe(user)} ({outcome}).")


@bp.post("/grant-csv")
def grant_csv() -> Response | tuple[str, int]:
    upload = request.files.get("file")
    text = upload.read().decode("utf-8-sig", "replace") if upload else request.form.get("csv", "")
    try:
        counts = accounts.grant_many(accounts.read_grants_csv(text), actor=current_user.email)
    except UserError as exc:
        return _page(f"Nothing was granted: {exc}.", 400)
    return _done(
        f"{counts['granted']} granted, {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged."
    )


@bp.post("/remove")
def remove() -> Response | tuple[str, int]:
    email = request.form.get("email", "").strip().lower()
    if email == current_user.email:
        return _page("You cannot remove your own account.", 400)
    try:
        accounts.remove(email, actor=current_user.email)
    except UserError as exc:
        return _page(str(exc).capitalize(), 400)
    return _done(f"Removed {email}.")


@bp.post("/domains")
def grant_domain() -> Response | tuple[str, int]:
    form = request.form
    try:
        found = accounts.grant_domain(
            form.get("domain", ""), form.get("role", ""), form.get("org"), actor=current_user.email
        )
    except UserError as exc:
        return _page(str(exc).capitalize(), 400)
    return _done(f"Anyone at {found.domain} may sign in with NHSmail.")


@bp.post("/domains/remove")
def revoke_domain() -> Response | tuple[str, int]:
    try:
        accounts.revoke_domain(request.form.get("domain", ""), actor=current_user.email)
    except UserError as exc:
        return _page(str(exc).capitalize(), 400)
    return _done("The domain grant was withdrawn.")
