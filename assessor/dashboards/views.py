from __future__ import annotations

import math
from typing import Any

from flask import abort, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from assessor import results
from assessor.campaigns import get_campaign
from assessor.dashboards import bp
from assessor.extensions import db, login_manager
from assessor.models import Campaign
from assessor.presentation import domain_titles
from assessor.questionnaires.publishing import definition_of
from assessor.results.reading import OrgResult

#: Rows per page: the whole of England's sub-ICB locations fit on one page.
PAGE_SIZE = 250


@bp.before_request
def require_login() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.errorhandler(404)
def not_found(exc: HTTPException) -> tuple[str, int]:
    return render_template("errors/404.html"), 404


def _is_admin() -> bool:
    return current_user.role == "admin"


@bp.get("/")
def index() -> str:
    campaigns = db.session.scalars(db.select(Campaign).order_by(Campaign.created_at)).all()
    rows = []
    for campaign in campaigns:
        view = results.read(campaign, admin=_is_admin())
        rows.append(
            {
                "campaign": campaign,
                "organisations": len(view.snapshot.orgs),
                **view.response_totals(),
                "publication": view.publication,
                "revision_pending": _is_admin() and results.revision_pending(campaign),
            }
        )
    return render_template("dashboards/index.html", rows=rows)


def _choice(name: str, allowed: list[str], default: str | None) -> str | None:
    value = request.args.get(name) or default
    return value if value in allowed else default


@bp.get("/<slug>")
def campaign(slug: str) -> str:
    found = get_campaign(slug)
    if found is None:
        abort(404)
    q = definition_of(found.questionnaire)
    regions = sorted({member.region for member in found.members})
    audience = _choice("audience", list(results.RESULT_AUDIENCES), "combined")
    region = _choice("region", regions, None)
    measure = _choice("measure", list(q.domain_keys), None)
    view = results.read(found, admin=_is_admin())
    chosen, total = view.snapshot.select(region=region)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = request.args.get("page", "1")
    page_number = min(max(int(page), 1), pages) if page.isdigit() else 1
    start = (page_number - 1) * PAGE_SIZE
    shown = [view.result(int(i), audience) for i in chosen[start : start + PAGE_SIZE]]

    def measure_of(item: OrgResult) -> tuple[Any, Any, Any]:
        """The chosen measure's score, gap and trend of one item."""
        if measure is None:
            return item.overall, item.gap.overall, item.trend.overall
        return item.domains[measure], item.gap.domains[measure], item.trend.domains[measure]

    return render_template(
        "dashboards/campaign.html",
        campaign=found,
        q=q,
        rows=[(item, *measure_of(item)) for item in shown],
        total=total,
        start=start,
        page=page_number,
        pages=pages,
        scores_visible=not view.hidden,
        preview=view.preview,
        publication=view.publication,
        revision_pending=_is_admin() and results.revision_pending(found),
        regions=regions,
        region=region,
        audience=audience,
        measure=measure,
        domains=domain_titles(q),
    )
