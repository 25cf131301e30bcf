"""A small world for the API tests: the shipped questionnaires, four organisations, a closed
campaign with hand-computable results and an open one, and one token per scope.

Respondent scores used below (threshold 0.75, R = 5, scoring.md s.2), every scored item
answered alike:
- agree (0.75 on every rung): every rung met, s = 5;
- strongly_agree: s = 5;
- neutral (0.5): rung 1 not met, s = 0.5 / 0.75 = 2/3;
- disagree (0.25): s = 0.25 / 0.75 = 1/3;
- STEP (below): s = 5/3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from assessor.auth.tokens import create_token
from assessor.campaigns import create_campaign
from assessor.extensions import db as _db
from assessor.models import Campaign, Organisation, utcnow
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of, get_version, publish_directory
from assessor.responses import submit
from assessor.results import publications
from tests.conftest import QUESTIONNAIRES_DIR

KEY = "engagement-maturity"
CLOSED = "2025-assessment"
OPEN = "2026-assessment"
FREE_TEXT = "Ask for Jane Smith on ward 7, she knows"

#: (code, region, peer group)
ORGS = (
    ("00A", "London", "urban"),
    ("00B", "London", "rural"),
    ("00C", "North West", "urban"),
    ("00D", "North West", "rural"),
)

#: A respondent meeting rung 1 only (agree), half-way up rung 2 (neutral) and disagreeing
#: above: s = 1 + 0.5 / 0.75 = 5/3 in every domain. Used only for a suppressed cell, so
#: that 1.666... appearing anywhere in an answer would be a leak.
STEP = "step"
STEP_SCORE = 5 / 3

#: The closed campaign: (org, audience) -> the option every scored item is answered with,
#: one entry per respondent.
CLOSED_RESPONSES: dict[tuple[str, str], list[str]] = {
    ("00A", "staff"): ["agree"] * 3,  # 5, 5, 5
    ("00A", "patient_leader"): ["neutral"] * 3,  # 2/3 each
    ("00B", "staff"): ["neutral"] * 3,
    ("00B", "patient_leader"): [STEP] * 2,  # below k = 3: suppressed
    ("00C", "staff"): ["disagree"] * 4,  # 1/3 each
    ("00C", "patient_leader"): ["strongly_agree"] * 3,  # 5 each
}
OPEN_RESPONSES: dict[tuple[str, str], list[str]] = {
    ("00A", "staff"): ["agree"] * 3,
    ("00A", "patient_leader"): ["agree"] * 3,
}


def uniform(q: Questionnaire, option: str, comment: str | None = FREE_TEXT) -> dict[str, str]:
    """Every scored item answered with `option` (or the STEP pattern), the choice item
    answered, and (by default) a free-text comment that must never leave through the API."""
    if option == STEP:
        by_rung = {q.rungs[0].key: "agree", q.rungs[1].key: "neutral"}
        answers = {i.link_id: by_rung.get(i.rung or "", "disagree") for i in q.scored_items}
    else:
        answers = {item.link_id: option for item in q.scored_items}
    answers["gov-attend"] = "most_meetings"
    if comment is not None:
        answers["comments"] = comment
    return answers


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@dataclass
class World:
    closed: Campaign
    open: Campaign
    q: Questionnaire
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, name: str) -> dict[str, str]:
        return bearer(self.tokens[name])


def add_responses(
    campaign: Campaign, spec: dict[tuple[str, str], list[str]], q: Questionnaire
) -> None:
    for (org, audience), options in spec.items():
        for option in options:
            submit(campaign, org, audience, uniform(q, option))


def make_campaign(slug: str, state: str, *, previous: str | None = None, k: int = 3) -> Campaign:
    now = utcnow()
    if state == "closed":
        opens, closes = now - timedelta(days=60), now - timedelta(days=30)
    else:
        opens, closes = now - timedelta(days=1), now + timedelta(days=30)
    return create_campaign(
        slug,
        slug.replace("-", " ").title(),
        KEY,
        2,
        opens_at=opens,
        closes_at=closes,
        previous=previous,
        access="open",
        min_respondents=k,
    )


@pytest.fixture(autouse=True)
def _fresh_results_cache() -> Iterator[None]:
    """Each test's database is new, so a campaign or publication id may repeat across tests
    (SQLite reuses row ids): never let one test read another's cached snapshot."""
    publications.clear_cache()
    yield
    publications.clear_cache()


@pytest.fixture()
def api(app: Flask, db: object) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def make_token(db: object) -> Callable[..., str]:
    def make(*scopes: str, name: str | None = None, expires: date | None = None) -> str:
        _, raw = create_token(name or f"token {' '.join(scopes)}", list(scopes), expires)
        _db.session.commit()
        return raw

    return make


@pytest.fixture()
def world(db: object, make_token: Callable[..., str]) -> World:
    if get_version(KEY, 2) is None:
        publish_directory(QUESTIONNAIRES_DIR)
    _db.session.add_all(
        Organisation(
            code=code,
            name=f"NHS {code}",
            kind="sub_icb",
            region=region,
            peer_group=peer,
            closed=False,
        )
        for code, region, peer in ORGS
    )
    _db.session.flush()
    closed = make_campaign(CLOSED, "closed")
    q = definition_of(closed.questionnaire)
    add_responses(closed, CLOSED_RESPONSES, q)
    opened = make_campaign(OPEN, "open", previous=CLOSED)
    add_responses(opened, OPEN_RESPONSES, q)
    _db.session.commit()
    w = World(closed=closed, open=opened, q=q)
    w.tokens = {
        "admin": make_token("admin", name="Administrators"),
        "results": make_token("results:read", name="NHS England"),
        "read": make_token("responses:read", name="Analysts under DSA"),
        "write": make_token("responses:write", name="Survey partner"),
    }
    return w


def items(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["items"]
