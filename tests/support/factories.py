"""Small builders for tests: organisations, published questionnaires, campaigns, answers."""

from __future__ import annotations

import functools
from datetime import timedelta

from assessor import results
from assessor.campaigns import service as campaigns
from assessor.extensions import db
from assessor.models import Campaign, Organisation, utcnow
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.loader import LoadedFile, load_directory_files
from assessor.questionnaires.publishing import definition_of, get_version, publish_files
from tests.conftest import QUESTIONNAIRES_DIR

KEY = "engagement-maturity"


@functools.cache
def _shipped_files() -> tuple[LoadedFile, ...]:
    # Read and checked once per test process: most tests publish the shipped files.
    return tuple(load_directory_files(QUESTIONNAIRES_DIR))


def publish_shipped() -> None:
    if get_version(KEY, 1) is None:
        publish_files(_shipped_files())
        db.session.flush()


def add_orgs(*specs: tuple[str, str, str]) -> list[Organisation]:
    """(code, region, peer_group) triples."""
    orgs = [
        Organisation(
            code=code,
            name=f"NHS {code}",
            kind="sub_icb",
            region=region,
            peer_group=peer,
            closed=False,
        )
        for code, region, peer in specs
    ]
    db.session.add_all(orgs)
    db.session.flush()
    return orgs


def make_campaign(
    slug: str,
    version: int = 2,
    *,
    state: str = "open",
    previous: str | None = None,
    k: int = 3,
    access: str = "open",
) -> Campaign:
    """A campaign over every organisation, open (or closed, or scheduled) now."""
    publish_shipped()
    now = utcnow()
    opens = {
        "open": now - timedelta(days=1),
        "closed": now - timedelta(days=30),
        "scheduled": now + timedelta(days=1),
    }[state]
    closes = {
        "open": now + timedelta(days=1),
        "closed": now - timedelta(days=1),
        "scheduled": now + timedelta(days=5),
    }[state]
    return campaigns.create_campaign(
        slug,
        slug.title(),
        KEY,
        version,
        opens_at=opens,
        closes_at=closes,
        previous=previous,
        access=access,
        min_respondents=k,
    )


def questionnaire(campaign: Campaign) -> Questionnaire:
    return definition_of(campaign.questionnaire)


def uniform_answers(q: Questionnaire, option: str) -> dict[str, str]:
    """Every scored item answered with the same option (a fact item: the nearest one)."""
    return {item.link_id: item.nearest_answer(option) for item in q.scored_items}


def set_window(campaign: Campaign, state: str, publish: bool = True) -> None:
    """Move the campaign's dates so that it is open or closed; a closed one is published as
    `jobs run-due` would (reads never publish), unless `publish` is False."""
    now = utcnow()
    if state == "closed":
        campaign.opens_at, campaign.closes_at = now - timedelta(days=30), now - timedelta(days=1)
    else:
        campaign.opens_at, campaign.closes_at = now - timedelta(days=1), now + timedelta(days=1)
    db.session.flush()
    if state == "closed" and publish:
        campaigns.publish_closed(campaign)


def result_items(campaign: Campaign, audience: str = "combined", admin: bool = False) -> list[dict]:
    """Every organisation's results item as the API dumps it."""
    from assessor.results.schemas import ResultSchema

    items, _, _ = results.read(campaign, admin=admin).page(audience)
    return ResultSchema(many=True).dump(items)


def benchmark_items(
    campaign: Campaign, audience: str = "combined", group_by: str = "national", admin: bool = False
) -> list[dict]:
    from assessor.results.schemas import BenchmarkSchema

    view = results.read(campaign, admin=admin)
    return BenchmarkSchema(many=True).dump(view.benchmarks(audience, group_by))


def submitted_yesterday(campaign: Campaign) -> None:
    """Move the campaign's submitted responses to yesterday (their day is all they keep), so
    that a non-administrator's counts, which are as at the end of the previous day
    (scoring.md s.6), include them."""
    from sqlalchemy import update

    from assessor.models import Response
    from assessor.results import counts

    yesterday = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    db.session.execute(
        update(Response)
        .where(Response.campaign_id == campaign.id, Response.status == "submitted")
        .values(submitted_at=yesterday)
    )
    db.session.flush()
    counts.clear_cache()
