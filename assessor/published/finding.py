"""Finding an organisation in a campaign by name or code, and its place in the ICB family.

One SQL query per page over the campaign's recorded members (LIKE, the total counted in the
same query with a window function, LIMIT/OFFSET): the database scans names, Python sees one
page, so a search stays fast at 7,000 organisations (benchmarks/public_search.py). It reads
no scores: the search page shows names, codes and regions only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from assessor.extensions import db
from assessor.models import Campaign, CampaignOrganisation, Organisation

PAGE_SIZE = 50
MAX_QUERY = 100


@dataclass(frozen=True)
class Found:
    code: str
    name: str
    region: str
    kind: str


@dataclass(frozen=True)
class SearchPage:
    rows: list[Found]
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def first(self) -> int:
        """The position of the page's first row among all matches, counting from 1."""
        return (self.page - 1) * self.per_page + 1


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _members(campaign: Campaign) -> Select:
    return (
        select(
            CampaignOrganisation.org_code,
            Organisation.name,
            CampaignOrganisation.region,
            Organisation.kind,
        )
        .join(Organisation, Organisation.code == CampaignOrganisation.org_code)
        .where(CampaignOrganisation.campaign_id == campaign.id)
    )


def regions(campaign: Campaign) -> list[str]:
    """The regions recorded for the campaign's organisations, for the region filter."""
    return list(
        db.session.scalars(
            select(CampaignOrganisation.region)
            .where(CampaignOrganisation.campaign_id == campaign.id)
            .distinct()
            .order_by(CampaignOrganisation.region)
        )
    )


def search(
    campaign: Campaign,
    text: str = "",
    region: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> SearchPage:
    """Organisations whose name contains `text` or whose code starts with it (any case), in
    `region` if given, ordered by name then code; page `page` of `per_page`."""
    query = _members(campaign)
    text = " ".join(text.split())[:MAX_QUERY]
    if text:
        pattern = _escaped(text.lower())
        query = query.where(
            or_(
                func.lower(Organisation.name).like(f"%{pattern}%", escape="\\"),
                func.lower(CampaignOrganisation.org_code).like(f"{pattern}%", escape="\\"),
            )
        )
    if region:
        query = query.where(CampaignOrganisation.region == region)
    page = max(1, page)
    rows, total = _page(query, page, per_page)
    if not rows and page > 1:  # past the end: count, then show the last page
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = max(1, -(-total // per_page))
        rows, total = _page(query, page, per_page)
    pages = max(1, -(-total // per_page))
    return SearchPage([Found(*row[:4]) for row in rows], total, page, pages, per_page)


def _page(query: Select, page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of matches and, in the same query, how many match in all."""
    rows = db.session.execute(
        query.add_columns(func.count().over())
        .order_by(Organisation.name, CampaignOrganisation.org_code)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return rows, (rows[0][4] if rows else 0)


@dataclass(frozen=True)
class Family:
    """An organisation's parent (its ICB) and children (its sub-ICB locations) that are in
    the same campaign."""

    parent: Found | None
    children: list[Found]


def family(campaign: Campaign, code: str) -> Family:
    parent_code = db.session.scalar(
        select(Organisation.parent_code).where(Organisation.code == code)
    )
    parent = None
    if parent_code:
        row = db.session.execute(
            _members(campaign).where(CampaignOrganisation.org_code == parent_code)
        ).first()
        parent = Found(*row) if row is not None else None
    children = [
        Found(*row)
        for row in db.session.execute(
            _members(campaign)
            .where(Organisation.parent_code == code)
            .order_by(Organisation.name, CampaignOrganisation.org_code)
        )
    ]
    return Family(parent, children)
