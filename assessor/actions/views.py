"""The plan editor on the board's side (`/dashboards/<campaign>/<org>/actions`) and the
co-sign page patient leaders reach through their link (`/cosign/<token>`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from assessor.actions import cosign, operations
from assessor.actions.operations import STATUS_LABELS, ActionErrors
from assessor.actions.reading import plan_view
from assessor.auth import roles
from assessor.auth.csrf import check_csrf
from assessor.campaigns.service import get_campaign, in_campaign
from assessor.extensions import db, login_manager
from assessor.models import Action, Campaign, Organisation

bp = Blueprint("actions", __name__)


def long_date(day: date | None) -> str:
    return "" if day is None else f"{day.day} {day.strftime('%B %Y')}"


Page = str | tuple[str, int] | Response


@bp.errorhandler(400)
def expired_form(exc: HTTPException) -> tuple[str, int]:
    return render_template(
        "survey/message.html",
        heading="Sorry, that did not work",
        paragraphs=[exc.description or "Go back, reload the page and try again."],
    ), 400


@bp.errorhandler(403)
def forbidden(exc: HTTPException) -> tuple[str, int]:
    return render_template(
        "survey/message.html", heading="You cannot edit this plan", paragraphs=[exc.description]
    ), 403


def _target(slug: str, org_code: str) -> tuple[Campaign, Organisation]:
    campaign = get_campaign(slug)
    if campaign is None or not in_campaign(campaign, org_code):
        abort(404)
    organisation = db.session.get(Organisation, org_code)
    assert organisation is not None
    return campaign, organisation


def _require_editor(campaign: Campaign, org_code: str) -> None:
    if not operations.can_edit(current_user, org_code):
        abort(
            403,
            description="Only the organisation's editors and administrators can change"
            " its action plan. Ask an administrator if you should be one.",
        )
    if not operations.is_published(campaign):
        abort(
            403,
            description="An action plan answers published results: it can be written"
            " once the campaign has closed and its results are published.",
        )


@bp.before_request
def board_pages_need_sign_in() -> Response | None:
    if request.path.startswith("/dashboards/") and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.get("/dashboards/<slug>/<org_code>/actions")
def plan(slug: str, org_code: str) -> str:
    campaign, organisation = _target(slug, org_code)
    shown = plan_view(campaign, org_code, admin=roles.is_admin(current_user))
    # Co-sign comments are free text: the organisation's own users and admins only.
    own = roles.may_read_free_text(current_user, org_code)
    return render_template(
        "actions/plan.html",
        campaign=campaign,
        organisation=organisation,
        plan=shown,
        can_edit=operations.can_edit(current_user, org_code),
        published=operations.is_published(campaign),
        comments=cosign.board_comments(campaign, org_code) if own else None,
        history=operations.history(campaign, org_code),
    )


def _form_page(
    campaign: Campaign,
    organisation: Organisation,
    values: dict[str, Any],
    errors: dict[str, str],
    action: Action | None,
) -> str:
    return render_template(
        "actions/edit.html",
        campaign=campaign,
        organisation=organisation,
        values=values,
        errors=errors,
        action=action,
        domains=operations.domain_titles(campaign),
        statuses=STATUS_LABELS,
    )


def _values_of(action: Action | None) -> dict[str, Any]:
    if action is None:
        return {"domain": "", "title": "", "description": "", "due_on": "", "status": "planned"}
    return {
        "domain": action.domain,
        "title": action.title,
        "description": action.description,
        "due_on": action.due_on.isoformat(),
        "status": action.status,
    }


@bp.route("/dashboards/<slug>/<org_code>/actions/new", methods=["GET", "POST"])
def new_action(slug: str, org_code: str) -> Page:
    campaign, organisation = _target(slug, org_code)
    _require_editor(campaign, org_code)
    if request.method == "GET":
        return _form_page(campaign, organisation, _values_of(None), {}, None)
    check_csrf()
    try:
        operations.add_action(campaign, org_code, request.form.to_dict(), current_user)
    except ActionErrors as exc:
        html = _form_page(campaign, organisation, request.form.to_dict(), exc.errors, None)
        return html, 400
    flash("The action has been added to the plan.")
    return redirect(url_for("actions.plan", slug=slug, org_code=org_code))


@bp.route("/dashboards/<slug>/<org_code>/actions/<int:action_id>", methods=["GET", "POST"])
def edit_action(slug: str, org_code: str, action_id: int) -> Page:
    campaign, organisation = _target(slug, org_code)
    _require_editor(campaign, org_code)
    action = operations.find_action(campaign, org_code, action_id)
    if action is None:
        abort(404)
    if request.method == "GET":
        return _form_page(campaign, organisation, _values_of(action), {}, action)
    check_csrf()
    try:
        changes = operations.update_action(action, request.form.to_dict(), current_user)
    except ActionErrors as exc:
        html = _form_page(campaign, organisation, request.form.to_dict(), exc.errors, action)
        return html, 400
    flash("The action has been updated." if changes else "Nothing was changed.")
    return redirect(url_for("actions.plan", slug=slug, org_code=org_code))


# --------------------------------------------------------------------------- co-signing

REFUSALS = {
    "unknown": (
        404,
        "This link is not valid",
        "Check that you copied the whole link, or ask the person who sent it for a new one.",
    ),
    "used": (
        410,
        "This link has already been used",
        "Each link can be used once. If you used it, thank you: your answer is counted.",
    ),
    "expired": (
        410,
        "This link has expired",
        "Links to co-sign a plan work for a limited time. Ask the person who sent it for a"
        " new one if you still want to give your view.",
    ),
}


def _refused(reason: str) -> tuple[str, int]:
    status, heading, paragraph = REFUSALS[reason]
    return render_template("survey/message.html", heading=heading, paragraphs=[paragraph]), status


@bp.after_request
def private_links(resp: Response) -> Response:
    if request.path.startswith("/cosign/"):
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.route("/cosign/<token>", methods=["GET", "POST"])
def cosign_page(token: str) -> Page:
    try:
        found = cosign.open_link(token)
    except cosign.LinkRefused as exc:
        return _refused(exc.reason)
    campaign = found.campaign
    organisation = db.session.get(Organisation, found.link.org_code)
    errors: dict[str, str] = {}
    choice = ""
    comment = ""
    if request.method == "POST":
        check_csrf()
        choice = request.form.get("agrees", "")
        comment = request.form.get("comment", "")
        if choice not in ("yes", "no"):
            errors["agrees"] = (
                "Choose whether you agree this plan reflects what patient leaders asked for"
            )
        if len(comment) > cosign.COMMENT_MAX:
            errors["comment"] = f"Your comment must be {cosign.COMMENT_MAX:,} characters or fewer"
        if not errors:
            try:
                cosign.give_cosign(token, choice == "yes", comment)
            except cosign.LinkRefused as exc:
                db.session.rollback()
                return _refused(exc.reason)
            return redirect(url_for("actions.cosigned"))
    html = render_template(
        "actions/cosign.html",
        token=token,
        campaign=campaign,
        organisation=organisation,
        actions=found.actions,
        changed=found.changed,
        domains=operations.domain_titles(campaign),
        errors=errors,
        choice=choice,
        comment=comment,
        max_comment=cosign.COMMENT_MAX,
    )
    return (html, 400) if errors else html


@bp.get("/cosigned")
def cosigned() -> str:
    return render_template(
        "survey/message.html",
        heading="Thank you: your answer has been recorded",
        paragraphs=[
            "Only the numbers who agree and who do not agree are published. Your comment,"
            " if you left one, is read by the organisation's board without your name.",
        ],
    )
