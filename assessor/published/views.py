from __future__ import annotations

from flask import abort, render_template
from werkzeug.exceptions import HTTPException

from assessor import results
from assessor.campaigns import get_campaign, in_campaign
from assessor.presentation import domain_titles
from assessor.published import bp
from assessor.questionnaires.publishing import definition_of


@bp.errorhandler(404)
def not_found(exc: HTTPException) -> tuple[str, int]:
    return render_template("errors/404.html"), 404


@bp.get("/results/<slug>/<org_code>")
def organisation(slug: str, org_code: str) -> str:
    campaign = get_campaign(slug)
    if campaign is None:
        abort(404)
    if not in_campaign(campaign, org_code):
        abort(404)
    view = results.read(campaign)
    item = view.for_org(org_code, "combined")
    q = definition_of(campaign.questionnaire)
    return render_template(
        "published/organisation.html",
        campaign=campaign,
        item=item,
        q=q,
        domains=domain_titles(q),
        published=view.publication is not None,
    )


@bp.get("/results/<slug>")
def campaign(slug: str) -> str:
    """The campaign's organisations, each linking to its own results page."""
    found = get_campaign(slug)
    if found is None:
        abort(404)
    members = sorted(found.members, key=lambda m: (m.region, m.organisation.name))
    return render_template(
        "published/campaign.html",
        campaign=found,
        members=members,
        published=results.is_published(found),
    )
