from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from assessor import results
from assessor.campaigns.service import get_campaign, in_campaign
from assessor.published import charts, finding, readings
from assessor.published.headline import NOT_YET_MEANING, headline
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.results.reading import ResultsView
from assessor.results.records import OrgResult
from assessor.results.snapshot import NATIONAL
from assessor.web.converters import bounded_int
from assessor.web.presentation import domain_titles, reason_text

bp = Blueprint("published", __name__)


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
    published = view.publication is not None
    return render_template(
        "published/organisation.html",
        campaign=campaign,
        item=item,
        q=q,
        domains=domain_titles(q),
        published=published,
        family=finding.family(campaign, org_code),
        **(_pictures(view, item, q) if published else {}),
    )


def _pictures(view: ResultsView, item: OrgResult, q: Questionnaire) -> dict[str, Any]:
    """The charts of a published organisation and their one-sentence readings, from the same
    read model (and so the same numbers) as the API."""
    campaign = view.campaign
    k = campaign.min_respondents

    def reason(code: str | None) -> str:
        return reason_text(code, k)

    regional = view.group("combined", "region", item.organisation.region)
    national = view.group("combined", NATIONAL, NATIONAL)
    peers = view.group("combined", "peer_group", item.organisation.peer_group)
    previous = campaign.previous
    return {
        "headline": headline(item, q, peers, k),
        "not_yet_meaning": NOT_YET_MEANING,
        "regional": regional,
        "national": national,
        "levels_chart": charts.domain_levels(item, regional, national, q, reason),
        "levels_reading": readings.against_medians(item, regional, national),
        "gap_reading": readings.gap(item),
        "trend_chart": charts.trend(item, q, reason),
        "trend_reading": readings.trend(item, previous.title) if previous else None,
        "previous": previous,
        # the revised questionnaire took effect with this campaign
        "revised_in": campaign.opens_at.year if campaign.opens_at else None,
    }


@bp.get("/results/<slug>")
def campaign(slug: str) -> str:
    """Find an organisation: search by name or code and filter by region with a plain GET
    form (no JavaScript), one page of matches at a time."""
    found = get_campaign(slug)
    if found is None:
        abort(404)
    text = request.args.get("q", "").strip()
    regions = finding.regions(found)
    region = request.args.get("region") or None
    if region not in regions:
        region = None
    page = bounded_int(request.args.get("page"), 1)
    matches = finding.search(found, text, region, page)
    return render_template(
        "published/campaign.html",
        campaign=found,
        published=results.is_published(found),
        text=text,
        region=region,
        regions=regions,
        matches=matches,
    )
