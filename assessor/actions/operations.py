"""Action plans: who may edit them, editing with an audit trail, and reading a plan with its
co-sign counts and (once the next campaign is published) its verdict.

Services flush, never commit: the request or the CLI command commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import exists, select

from assessor.auth import roles
from assessor.campaigns import service as campaigns
from assessor.extensions import db, rows
from assessor.models import Action, AuditEvent, Campaign, Cosign, PlanVersion, User, utcnow
from assessor.models.action import ACTION_STATUSES
from assessor.questionnaires.definition import canonical_digest
from assessor.questionnaires.publishing import definition_of

STATUS_LABELS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "dropped": "Dropped",
}
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
#: Fields an editor sets; the audit trail records each one's change.
FIELDS = ("domain", "title", "description", "due_on", "status")


class NotAllowed(PermissionError):
    """The user may not edit this organisation's plan."""


class NotYetPublished(ValueError):
    """Plans are written against published results only."""


class ActionErrors(ValueError):
    """Form problems, by field name, each a plain-English message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def is_published(campaign: Campaign) -> bool:
    """Whether the campaign's results are published, so that a plan can answer them."""
    from assessor import results

    return campaign.status == "closed" and results.latest(campaign) is not None


def can_edit(user: Any, org_code: str) -> bool:
    """Admins edit every plan; editors only their own organisation's."""
    return roles.may_edit_plan(user, org_code)


def plan_of(campaign: Campaign, org_code: str) -> list[Action]:
    """The organisation's actions after this campaign, in due-date order."""
    return rows(
        Action,
        Action.campaign_id == campaign.id,
        Action.org_code == org_code,
        order_by=[Action.due_on, Action.id],
    )


def plan_digest(actions: list[Action]) -> str:
    """What a co-signature agrees to: each action's promise, not its progress, so that
    marking an action in progress keeps its co-signatures while rewording it does not.
    A dropped action is no longer part of the promise."""
    return canonical_digest(
        sorted(
            [a.id, a.domain, a.title, a.description, a.due_on.isoformat()]
            for a in actions
            if a.status != "dropped"
        )
    )


def current_version(campaign: Campaign, org_code: str) -> PlanVersion | None:
    """The plan's latest version; None until links were first made for it."""
    return db.session.scalar(
        select(PlanVersion)
        .where(PlanVersion.campaign_id == campaign.id, PlanVersion.org_code == org_code)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )


def versions_of(campaign: Campaign, org_code: str) -> list[PlanVersion]:
    """Every version of the plan, newest first."""
    return rows(
        PlanVersion,
        PlanVersion.campaign_id == campaign.id,
        PlanVersion.org_code == org_code,
        order_by=[PlanVersion.number.desc()],
    )


def ensure_version(campaign: Campaign, org_code: str) -> PlanVersion:
    """The current version, opening version 1 (flushed) when the plan has none yet."""
    found = current_version(campaign, org_code)
    if found is not None:
        return found
    version = PlanVersion(
        campaign_id=campaign.id,
        org_code=org_code,
        number=1,
        plan_digest=plan_digest(plan_of(campaign, org_code)),
        opened_on=utcnow().date(),
    )
    db.session.add(version)
    db.session.flush()
    return version


def _has_cosigns(version: PlanVersion) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Cosign.campaign_id == version.campaign_id,
                    Cosign.org_code == version.org_code,
                    Cosign.version == version.number,
                )
            )
        )
    )


def _follow_edit(campaign: Campaign, org_code: str) -> None:
    """After an edit: a changed promise opens the next version once the current one has a
    co-signature, so no edit (and no edit undone) can erase or restore co-signatures."""
    current = current_version(campaign, org_code)
    digest = plan_digest(plan_of(campaign, org_code))
    if current is None or current.plan_digest == digest:
        return
    if _has_cosigns(current):
        db.session.add(
            PlanVersion(
                campaign_id=campaign.id,
                org_code=org_code,
                number=current.number + 1,
                plan_digest=digest,
                opened_on=utcnow().date(),
            )
        )
    else:
        current.plan_digest = digest
    db.session.flush()


def next_campaign(campaign: Campaign) -> Campaign | None:
    """The campaign that names this one as previous: where the plan's verdict is asked."""
    return db.session.scalar(
        select(Campaign)
        .where(Campaign.previous_id == campaign.id)
        .order_by(Campaign.created_at, Campaign.id)
        .limit(1)
    )


def domain_titles(campaign: Campaign) -> dict[str, str]:
    return {d.key: d.title for d in definition_of(campaign.questionnaire).domains}


def clean_fields(campaign: Campaign, form: dict[str, Any]) -> dict[str, Any]:
    """Check an action's fields as an editor typed them; raises ActionErrors naming each
    problem, in the form's order."""
    domains = definition_of(campaign.questionnaire).domain_keys
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    domain = str(form.get("domain") or "")
    if domain not in domains:
        errors["domain"] = "Choose the domain this action is about"
    values["domain"] = domain
    title = str(form.get("title") or "").strip()
    if not title:
        errors["title"] = "Enter a title"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"The title must be {TITLE_MAX} characters or fewer"
    values["title"] = title
    description = str(form.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"The description must be {DESCRIPTION_MAX:,} characters or fewer"
    values["description"] = description
    due = form.get("due_on")
    if isinstance(due, date):
        values["due_on"] = due
    else:
        try:
            values["due_on"] = date.fromisoformat(str(due or "").strip())
        except ValueError:
            errors["due_on"] = "Enter the due date as a real date, for example 2026-09-30"
    status = str(form.get("status") or "planned")
    if status not in ACTION_STATUSES:
        errors["status"] = "Choose a status"
    values["status"] = status
    if errors:
        raise ActionErrors(errors)
    return values


def _require_editable(campaign: Campaign, org_code: str, user: Any) -> None:
    if not can_edit(user, org_code):
        raise NotAllowed(f"{getattr(user, 'email', 'this user')} may not edit {org_code}'s plan")
    if not is_published(campaign):
        raise NotYetPublished(f"{campaign.slug} is not published yet")


def _audit(user: User, verb: str, action: Action, changes: dict[str, Any]) -> None:
    db.session.add(
        AuditEvent(
            actor=user.email,
            action=f"action.{verb}",
            details={
                "campaign": action_campaign_slug(action),
                "organisation": action.org_code,
                "action_id": action.id,
                "changes": changes,
            },
            at=utcnow(),
        )
    )


def action_campaign_slug(action: Action) -> str:
    campaign = db.session.get(Campaign, action.campaign_id)
    return campaign.slug if campaign else ""


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def add_action(campaign: Campaign, org_code: str, form: dict[str, Any], user: User) -> Action:
    """Add an action to a plan (flushed), audited with every field it was given."""
    _require_editable(campaign, org_code, user)
    if not campaigns.in_campaign(campaign, org_code):
        raise NotAllowed(f"{org_code} is not in {campaign.slug}")
    values = clean_fields(campaign, form)
    now = utcnow()
    action = Action(campaign_id=campaign.id, org_code=org_code, created_at=now, updated_at=now)
    for name in FIELDS:
        setattr(action, name, values[name])
    db.session.add(action)
    db.session.flush()
    _audit(user, "create", action, {name: [None, _plain(values[name])] for name in FIELDS})
    db.session.flush()
    _follow_edit(campaign, org_code)
    return action


def update_action(action: Action, form: dict[str, Any], user: User) -> dict[str, Any]:
    """Change an action (flushed); returns and audits the changes as {field: [was, now]}.
    Saving the form unchanged records nothing."""
    campaign = db.session.get(Campaign, action.campaign_id)
    assert campaign is not None
    _require_editable(campaign, action.org_code, user)
    values = clean_fields(campaign, form)
    changes = {
        name: [_plain(getattr(action, name)), _plain(values[name])]
        for name in FIELDS
        if getattr(action, name) != values[name]
    }
    if changes:
        for name in changes:
            setattr(action, name, values[name])
        action.updated_at = utcnow()
        _audit(user, "update", action, changes)
        db.session.flush()
        _follow_edit(campaign, action.org_code)
    return changes


def find_action(campaign: Campaign, org_code: str, action_id: int) -> Action | None:
    action = db.session.get(Action, action_id)
    if action is None or action.campaign_id != campaign.id or action.org_code != org_code:
        return None
    return action


def history(campaign: Campaign, org_code: str) -> list[AuditEvent]:
    """The plan's audit trail, newest first (read on the board's page)."""
    return rows(
        AuditEvent,
        AuditEvent.action.in_(("action.create", "action.update")),
        AuditEvent.details["campaign"].as_string() == campaign.slug,
        AuditEvent.details["organisation"].as_string() == org_code,
        order_by=[AuditEvent.at.desc(), AuditEvent.id.desc()],
    )
