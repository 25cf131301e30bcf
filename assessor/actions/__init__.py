"""Action plans (design.md, "Action plans"): organisations' plans after a campaign's
publication, co-signed by patient leaders through single-use links, and the patient leaders'
verdict on them in the next campaign."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The pages and API resources, and the template helpers that let any organisation page
    include a plan (`actions/_plan.html`) without its view knowing about plans."""
    from assessor import results
    from assessor.actions.api import blp
    from assessor.actions.operations import STATUS_LABELS
    from assessor.actions.reading import plan_view
    from assessor.actions.verdicts import SECTION, published_section
    from assessor.actions.views import bp, long_date
    from assessor.extensions import api

    def action_plan(campaign, org_code: str):  # type: ignore[no-untyped-def]
        return plan_view(campaign, org_code) if campaign is not None else None

    results.SECTIONS[SECTION] = published_section
    app.register_blueprint(bp)
    api.register_blueprint(blp)
    app.add_template_filter(long_date)
    app.add_template_global(action_plan)
    app.add_template_global(lambda status: STATUS_LABELS.get(status, status), "action_status")
