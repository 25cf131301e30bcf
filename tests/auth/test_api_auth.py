"""Bearer tokens on the API: 401 without a valid token, 403 without the scope, and every
route but health and the OpenAPI document closed to a request without a token."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask

from assessor.auth.tokens import find_token, revoke
from assessor.extensions import db
from assessor.models import ApiToken, utcnow
from tests.fixtures.api import CLOSED, bearer

#: Open without a token: the health check, the OpenAPI document and its browsable reference
#: (the reference's page, script and Swagger UI files describe only what openapi.json says).
OPEN_ROUTES = {
    ("GET", "/api/v1/health"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/api/docs/start.js"),
    ("GET", "/api/docs/assets/<name>"),
}
PROBLEM = "application/problem+json"


def _concrete(rule: str) -> str:
    """A path for a rule, with placeholder values for its variables."""
    values = {"int": "1"}
    if rule == "/api/docs/assets/<name>":
        return "/api/docs/assets/swagger-ui.css"
    return re.sub(
        r"<(?:(\w+):)?(\w+)>",
        lambda m: values.get(m.group(1) or "", f"x-{m.group(2)}"),
        rule,
    )


def _assert_unauthorised(response, *, invalid: bool) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"
    assert set(body) >= {"type", "title", "status", "detail"}
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert ('error="invalid_token"' in challenge) is invalid


def test_missing_token_is_401_with_a_bearer_challenge(api, world):
    _assert_unauthorised(api.get("/api/v1/campaigns"), invalid=False)
    _assert_unauthorised(
        api.get("/api/v1/campaigns", headers={"Authorization": "Basic dXNlcjpwdw=="}),
        invalid=False,
    )
    _assert_unauthorised(
        api.get("/api/v1/campaigns", headers={"Authorization": "Bearer "}), invalid=False
    )


def test_unknown_token_is_401(api, world):
    _assert_unauthorised(api.get("/api/v1/campaigns", headers=bearer("not-a-token")), invalid=True)


def test_revoked_token_is_401(api, world, make_token):
    raw = make_token("results:read", name="soon revoked")
    assert api.get("/api/v1/campaigns", headers=bearer(raw)).status_code == 200
    revoke(find_token("soon revoked"))
    db.session.commit()
    _assert_unauthorised(api.get("/api/v1/campaigns", headers=bearer(raw)), invalid=True)


def test_expired_token_is_401_and_works_through_its_last_day(api, world, make_token):
    raw = make_token("results:read", name="until today", expires=date.today())
    assert api.get("/api/v1/campaigns", headers=bearer(raw)).status_code == 200
    token = db.session.query(ApiToken).filter_by(name="until today").one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    _assert_unauthorised(api.get("/api/v1/campaigns", headers=bearer(raw)), invalid=True)


@pytest.mark.parametrize(
    ("token", "method", "path", "scope"),
    [
        ("read", "GET", "/api/v1/campaigns", "results:read"),
        ("write", "GET", f"/api/v1/campaigns/{CLOSED}/results", "results:read"),
        ("results", "GET", f"/api/v1/campaigns/{CLOSED}/responses", "responses:read"),
        ("write", "GET", f"/api/v1/campaigns/{CLOSED}/responses", "responses:read"),
        ("results", "POST", f"/api/v1/campaigns/{CLOSED}/responses", "responses:write"),
        ("read", "POST", f"/api/v1/campaigns/{CLOSED}/responses", "responses:write"),
    ],
)
def test_wrong_scope_is_403(api, world, token, method, path, scope):
    response = api.open(path, method=method, headers=world.headers(token), json={})
    assert response.status_code == 403
    assert response.mimetype == PROBLEM
    assert scope in response.get_json()["detail"]


def test_admin_grants_every_scope(api, world):
    headers = world.headers("admin")
    assert api.get("/api/v1/organisations", headers=headers).status_code == 200
    assert api.get(f"/api/v1/campaigns/{CLOSED}/responses", headers=headers).status_code == 200
    posted = api.post(f"/api/v1/campaigns/{CLOSED}/responses", headers=headers, json={})
    assert posted.status_code == 409  # past the token: the campaign is closed


def test_use_is_recorded_as_last_used_at(api, world):
    token = db.session.query(ApiToken).filter_by(name="NHS England").one()
    assert token.last_used_at is None
    before = utcnow()
    assert api.get("/api/v1/organisations", headers=world.headers("results")).status_code == 200
    db.session.expire_all()
    token = db.session.get(ApiToken, token.id)
    assert token.last_used_at is not None and token.last_used_at >= before - timedelta(seconds=1)


def test_every_api_route_refuses_a_request_without_a_token(app: Flask, api, world):
    """Walk the URL map: a route added later without a token check fails here."""
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        # OPTIONS is answered by Flask with the allowed methods only (CORS preflight).
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            path = _concrete(rule.rule)
            response = api.open(path, method=method, json={"submission_id": "x"})
            if (method, rule.rule) in OPEN_ROUTES or (
                method == "HEAD" and ("GET", rule.rule) in OPEN_ROUTES
            ):
                assert response.status_code == 200, (method, path)
                continue
            checked.append((method, rule.rule))
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            if method != "HEAD":
                assert response.mimetype == PROBLEM
    assert ("POST", "/api/v1/campaigns/<slug>/responses") in checked
    assert len({r for _, r in checked}) == 16
