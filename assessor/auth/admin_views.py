"""The administrators' page of who may come in: accounts, grants by address (one or a CSV),
domain grants, removals. Every change is audited by `accounts`."""

from __future__ import annotations

from collections.abc import Callable

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


def _act(change: Callable[[], str], failure: str = "{}") -> Response | tuple[str, int]:
    """Make the change and say what it did, or show the page again with why not."""
    try:
        message = change()
    except UserError as exc:
        return _page(failure.format(str(exc)[:1].upper() + str(exc)[1:]), 400)
    return _done(message)


@bp.post("/grant")
def grant() -> Response | tuple[str, int]:
    form = request.form

    def change() -> str:
        user, outcome = accounts.grant(
            form.get("email", ""), form.get("role", ""), form.get("org"), actor=current_user.email
        )
        return f"{user.email}: {roles.describe(user)} ({outcome})."

    return _act(change)


@bp.post("/grant-csv")
def grant_csv() -> Response | tuple[str, int]:
    upload = request.files.get("file")
    text = upload.read().decode("utf-8-sig", "replace") if upload else request.form.get("csv", "")

    def change() -> str:
        counts = accounts.grant_many(accounts.read_grants_csv(text), actor=current_user.email)
        return (
            f"{counts['granted']} granted, {counts['changed']} changed, "
            f"{counts['unchanged']} unchanged."
        )

    return _act(change, "Nothing was granted: {}.")


@bp.post("/remove")
def remove() -> Response | tuple[str, int]:
    email = request.form.get("email", "").strip().lower()
    if email == current_user.email:
        return _page("You cannot remove your own account.", 400)

    def change() -> str:
        accounts.remove(email, actor=current_user.email)
        return f"Removed {email}."

    return _act(change)


@bp.post("/domains")
def grant_domain() -> Response | tuple[str, int]:
    form = request.form

    def change() -> str:
        found = accounts.grant_domain(
            form.get("domain", ""), form.get("role", ""), form.get("org"), actor=current_user.email
        )
        return f"Anyone at {found.domain} may sign in with NHSmail."

    return _act(change)


@bp.post("/domains/remove")
def revoke_domain() -> Response | tuple[str, int]:
    def change() -> str:
        accounts.revoke_domain(request.form.get("domain", ""), actor=current_user.email)
        return "The domain grant was withdrawn."

    return _act(change)
