"""Pages for reaching respondents: opting out (`/o/<token>`, from every message), and the
administrators' page of a campaign's contacts (`/admin/campaigns/<slug>/contacts`):
upload a contact list, send invitations and reminders, and the counts of what was sent."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from assessor.auth.csrf import check_csrf
from assessor.campaigns import outbox
from assessor.campaigns.contacts import ContactsError, import_contacts
from assessor.campaigns.service import get_campaign
from assessor.extensions import db, login_manager
from assessor.jobs.queue import enqueue
from assessor.jobs.transports import channels_of
from assessor.models import Campaign

bp = Blueprint("reaching", __name__)
#: A contact list of a large trust (50,000 rows) fits.
UPLOAD_BYTES = 8 * 1024 * 1024
SEND = "assessor.jobs.tasks.send_messages"


@bp.route("/o/<token>", methods=["GET", "POST"])
def opt_out(token: str) -> str | tuple[str, int]:
    """GET asks (a link checker following it changes nothing); POST opts out."""
    contact = outbox.find_by_optout(token)
    if contact is None:
        return render_template("campaigns/opt_out.html", state="unknown"), 404
    if request.method == "POST":
        check_csrf()
        outbox.opt_out(contact)
        return render_template("campaigns/opt_out.html", state="done")
    state = "done" if contact.opted_out_at else "ask"
    return render_template("campaigns/opt_out.html", state=state)


def _admin_campaign(slug: str) -> Campaign:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if current_user.role != "admin":
        abort(403)
    campaign = get_campaign(slug)
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/admin/campaigns/<slug>/contacts")
def contacts(slug: str) -> str:
    campaign = _admin_campaign(slug)
    return render_template(
        "campaigns/contacts.html",
        campaign=campaign,
        counts=outbox.contact_counts(campaign),
        channels=channels_of(current_app.config),
        errors=[],
    )


@bp.post("/admin/campaigns/<slug>/contacts")
def upload(slug: str) -> Response | tuple[str, int]:
    campaign = _admin_campaign(slug)
    check_csrf()
    file = request.files.get("file")
    text = file.read().decode("utf-8-sig", errors="replace") if file else ""
    try:
        report = import_contacts(campaign, text)
    except ContactsError as exc:
        db.session.rollback()
        page = render_template(
            "campaigns/contacts.html",
            campaign=campaign,
            counts=outbox.contact_counts(campaign),
            channels=channels_of(current_app.config),
            errors=exc.errors,
        )
        return page, 422
    flash(f"{report.added} contact(s) added, {report.merged} duplicate(s) merged.")
    return redirect(url_for("reaching.contacts", slug=slug))


upload.max_body = UPLOAD_BYTES  # type: ignore[attr-defined]


@bp.post("/admin/campaigns/<slug>/send-invitations")
def send_invitations(slug: str) -> Response:
    campaign = _admin_campaign(slug)
    check_csrf()
    try:
        queued = outbox.queue_invitations(campaign, channels_of(current_app.config))
    except outbox.OutboxError as exc:
        abort(409, description=str(exc))
    # The messages' rows must be committed before a worker looks for them.
    db.session.commit()
    how, _ = enqueue(SEND, campaign.id)
    flash(f"{queued.contacts} invitation(s) {'sent' if how == 'inline' else 'queued'}.")
    return redirect(url_for("reaching.contacts", slug=slug))


@bp.post("/admin/campaigns/<slug>/send-reminders")
def send_reminders(slug: str) -> Response:
    campaign = _admin_campaign(slug)
    check_csrf()
    config = current_app.config
    queued = outbox.queue_reminders(
        campaign, channels_of(config), config["REMINDERS_MAX"], config["REMINDER_DAYS"]
    )
    db.session.commit()
    how = enqueue(SEND, campaign.id)[0] if queued.messages else "inline"
    flash(f"{queued.contacts} reminder(s) {'sent' if how == 'inline' else 'queued'}.")
    return redirect(url_for("reaching.contacts", slug=slug))
