"""A small world for action plans: two organisations, a closed (published) campaign `c1`
and the open campaign `c2` after it, and board users of every role."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from assessor.actions import operations
from assessor.auth.passwords import create_user
from assessor.models import Action, Campaign, User
from tests.support.factories import add_orgs, make_campaign

PASSWORD = "a long enough password"
CSRF = "test-csrf-token"


@dataclass
class World:
    c1: Campaign
    c2: Campaign
    admin: User
    editor_a: User
    editor_b: User
    viewer: User


@pytest.fixture()
def world(db) -> World:  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"), ("B01", "North West", "Rural"))
    c1 = make_campaign("c1", state="closed", k=3)
    c2 = make_campaign("c2", previous="c1", k=3)
    built = World(
        c1=c1,
        c2=c2,
        admin=create_user("admin@example.nhs.uk", "admin", PASSWORD),
        editor_a=create_user("a@example.nhs.uk", "editor", PASSWORD, "A01"),
        editor_b=create_user("b@example.nhs.uk", "editor", PASSWORD, "B01"),
        viewer=create_user("viewer@example.nhs.uk", "viewer", PASSWORD),
    )
    db.session.commit()
    return built


def sign_in(client: FlaskClient, user: User | None) -> None:
    """Sign in as `user` (None: signed out), with a known CSRF token in the session."""
    with client.session_transaction() as s:
        s.clear()
        s["csrf_token"] = CSRF
        if user is not None:
            s["_user_id"] = user.get_id()
            s["_fresh"] = True
            s["signed_in_at"] = int(time.time())


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": CSRF, **(data or {})}, **kwargs)


def action_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "domain": "governance",
        "title": "Patient leaders sit on the board",
        "description": "Two paid seats with a vote, from April.",
        "due_on": "2026-04-30",
        "status": "planned",
    }
    form.update(overrides)
    return form


def add(db, campaign: Campaign, org: str, user: User, **overrides: Any) -> Action:  # type: ignore[no-untyped-def]
    action = operations.add_action(campaign, org, action_form(**overrides), user)
    db.session.commit()
    return action


DUE = date(2026, 4, 30)


@pytest.fixture(autouse=True)
def fresh_limiter(app):  # type: ignore[no-untyped-def]
    from assessor.web.limits import limiter

    limiter.reset()
    yield
    limiter.reset()
