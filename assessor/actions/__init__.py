"""Action plans (design.md, "Action plans"): organisations' plans after a campaign's
publication, co-signed by patient leaders through single-use links, and the patient leaders'
verdict on them in the next campaign."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask

bp = Blueprint("actions", __name__)


def long_date(day: date | None) -> str:
    return "" if day is None else f"{day.day} {day.strftime('%B %Y')}"


def init_app(app: Flask) -> None:
    """The blueprint, and the template helpers that let any organisation page include a
    plan (`actions/_plan.html`) without its view knowing about plans."""
    from assessor import results
    from assessor.actions.operations import STATUS_LABELS, plan_view
    from assessor.actions.verdicts import SECTION, published_section

    def action_plan(campaign, org_code: str):  # type: ignore[no-untyped-def]
        return plan_view(campaign, org_code) if campaign is not None else None

    results.SECTIONS[SECTION] = published_section
    app.register_blueprint(bp)
    app.add_template_filter(long_date)
    app.add_template_global(action_plan)
    app.add_template_global(lambda status: STATUS_LABELS.get(status, status), "action_status")


from assessor.actions import views  # noqa: E402,F401
