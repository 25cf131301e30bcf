"""Role x organisation x route: every route of the app, for every kind of board user, against
what `assessor.auth.roles` allows (issue 20). A route added without an entry in ROUTES fails
`test_every_route_has_an_entry`, so no page or API route escapes the table.

The world: a closed, published campaign `spring` whose organisation A01 has free-text answers,
an action plan and a co-sign comment; users of every role, of A01, of B01 and of none."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from assessor.actions import operations
from assessor.actions.cosign import create_cosign_links, give_cosign
from assessor.auth import accounts, roles
from assessor.auth.passwords import create_user, find_user
from assessor.dashboards.assets import plotly_version
from assessor.extensions import db as _db
from assessor.models import Campaign, User
from tests.actions.conftest import CSRF, action_form
from tests.dashboards.test_dashboards import _world
from tests.web.test_web import PASSWORD

#: What a rule lets through.
PUBLIC = "public"  # the same answer for everyone, signed in or not
BEARER = "bearer"  # the JSON API: a session is no credential, 401 without a token
SIGNED_OUT = "signed-out"  # the sign-in page: signed-in users are sent on
SIGNED_IN = "signed-in"  # every board user
OWN_TEXT = "own-text"  # every board user; free text only to admins and the org's own users
EDITS_PLAN = "edits-plan"  # admins, and editors of the organisation
ADMIN = "admin"  # admins only

PRINCIPALS = ("anonymous", "national", "viewer_a", "viewer_b", "editor_a", "editor_b", "admin")
COSIGN_COMMENT = "Ask the carers too"
STAFF_COMMENT = "staff comment 1"


@dataclass(frozen=True)
class Case:
    rule: str
    url: str
    #: What an allowed principal gets (PUBLIC: everyone).
    status: int = 200
    #: A form to post (the CSRF token is added).
    data: dict[str, str] | None = None
    #: OWN_TEXT: free text shown only to those who may read it.
    text: str | None = None
    #: Extra headers (e.g. an API body's content type).
    json: Any = field(default=None)


def _routes() -> dict[tuple[str, str], Case]:
    plotly = f"/assets/plotly-cartesian-{plotly_version()}.min.js"
    bogus = "not-a-token"
    return {
        ("public.index", "GET"): Case(PUBLIC, "/"),
        ("public.easy_read", "GET"): Case(PUBLIC, "/easy-read"),
        ("public.methodology", "GET"): Case(PUBLIC, "/methodology"),
        ("public.privacy", "GET"): Case(PUBLIC, "/privacy"),
        ("static", "GET"): Case(PUBLIC, "/static/site.css"),
        ("assets.plotly_js", "GET"): Case(PUBLIC, plotly),
        ("published.campaign", "GET"): Case(PUBLIC, "/results/spring"),
        ("published.organisation", "GET"): Case(PUBLIC, "/results/spring/A01"),
        ("published.report", "GET"): Case(PUBLIC, "/results/spring/A01/report"),
        ("published.report_csv", "GET"): Case(PUBLIC, "/results/spring/A01/report.csv"),
        ("published.report_sheet", "GET"): Case(PUBLIC, "/results/spring/A01/report.xlsx"),
        ("api_docs.reference", "GET"): Case(PUBLIC, "/api/docs"),
        ("api_docs.start", "GET"): Case(PUBLIC, "/api/docs/start.js"),
        ("api_docs.asset", "GET"): Case(PUBLIC, "/api/docs/assets/swagger-ui.css"),
        ("api-docs.openapi_json", "GET"): Case(PUBLIC, "/api/openapi.json"),
        ("health.Health", "GET"): Case(PUBLIC, "/api/v1/health"),
        # Respondents' pages: a link's token is the credential, never a board session.
        ("survey.open_link", "GET"): Case(PUBLIC, "/s/spring/A01/staff", 410),
        ("survey.open_link", "POST"): Case(PUBLIC, "/s/spring/A01/staff", 410, {}),
        ("survey.invitation", "GET"): Case(PUBLIC, f"/i/{bogus}", 404),
        ("survey.invitation", "POST"): Case(PUBLIC, f"/i/{bogus}", 404, {}),
        ("survey.page", "GET"): Case(PUBLIC, f"/r/{bogus}/1", 404),
        ("survey.page", "POST"): Case(PUBLIC, f"/r/{bogus}/1", 404, {}),
        ("survey.saved", "GET"): Case(PUBLIC, f"/r/{bogus}/1/saved", 404),
        ("survey.review", "GET"): Case(PUBLIC, f"/r/{bogus}/review", 404),
        ("survey.review", "POST"): Case(PUBLIC, f"/r/{bogus}/review", 404, {}),
        ("survey.verdicts", "GET"): Case(PUBLIC, f"/r/{bogus}/actions", 404),
        ("survey.verdicts", "POST"): Case(PUBLIC, f"/r/{bogus}/actions", 404, {}),
        ("survey.verdicts_saved", "GET"): Case(PUBLIC, f"/r/{bogus}/actions/saved", 404),
        ("survey.done", "GET"): Case(PUBLIC, "/done"),
        ("actions.cosign_page", "GET"): Case(PUBLIC, f"/cosign/{bogus}", 404),
        ("actions.cosign_page", "POST"): Case(PUBLIC, f"/cosign/{bogus}", 404, {}),
        ("actions.cosigned", "GET"): Case(PUBLIC, "/cosigned"),
        # The JSON API: bearer tokens only (tests/auth/test_api_auth.py has the tokens).
        ("campaigns.Campaigns", "GET"): Case(BEARER, "/api/v1/campaigns"),
        ("campaigns.CampaignView", "GET"): Case(BEARER, "/api/v1/campaigns/spring"),
        ("results.CampaignBenchmarks", "GET"): Case(BEARER, "/api/v1/campaigns/spring/benchmarks"),
        ("results.CampaignPublications", "GET"): Case(
            BEARER, "/api/v1/campaigns/spring/publications"
        ),
        ("results.CampaignResults", "GET"): Case(BEARER, "/api/v1/campaigns/spring/results"),
        ("results.CampaignResultsCsv", "GET"): Case(BEARER, "/api/v1/campaigns/spring/results.csv"),
        ("results.CampaignResultsXlsx", "GET"): Case(
            BEARER, "/api/v1/campaigns/spring/results.xlsx"
        ),
        ("results.CampaignResultsOds", "GET"): Case(BEARER, "/api/v1/campaigns/spring/results.ods"),
        ("results.OrganisationResult", "GET"): Case(BEARER, "/api/v1/campaigns/spring/results/A01"),
        ("action_plans.OrganisationActions", "GET"): Case(
            BEARER, "/api/v1/campaigns/spring/organisations/A01/actions"
        ),
        ("responses.CampaignResponses", "GET"): Case(BEARER, "/api/v1/campaigns/spring/responses"),
        ("responses.CampaignResponses", "POST"): Case(
            BEARER, "/api/v1/campaigns/spring/responses", json={}
        ),
        ("responses.CampaignResponseFhir", "GET"): Case(
            BEARER, "/api/v1/campaigns/spring/responses/x/fhir"
        ),
        ("organisations.Organisations", "GET"): Case(BEARER, "/api/v1/organisations"),
        ("questionnaires.Questionnaires", "GET"): Case(BEARER, "/api/v1/questionnaires"),
        ("questionnaires.QuestionnaireVersionView", "GET"): Case(
            BEARER, "/api/v1/questionnaires/engagement-maturity/2"
        ),
        ("questionnaires.QuestionnaireFhir", "GET"): Case(
            BEARER, "/api/v1/questionnaires/engagement-maturity/2/fhir"
        ),
        # Signing in and out.
        ("auth.login", "GET"): Case(SIGNED_OUT, "/login"),
        ("auth.login", "POST"): Case(
            PUBLIC, "/login", 400, {"email": "nobody@example.org", "password": "wrong password"}
        ),
        ("auth.logout", "POST"): Case(PUBLIC, "/logout", 302, {}),
        # The second factor: nothing waits for one here, so both steps send to sign in;
        # any signed-in password account may enrol an authenticator.
        ("mfa.verify", "GET"): Case(PUBLIC, "/login/verify", 302),
        ("mfa.verify", "POST"): Case(PUBLIC, "/login/verify", 302, {"code": "000000"}),
        ("mfa.enrol", "GET"): Case(SIGNED_IN, "/login/enrol"),
        ("mfa.enrol", "POST"): Case(SIGNED_IN, "/login/enrol", 400, {"code": "000000"}),
        # Single sign-on, not configured here (tests/auth/test_oidc.py signs in through it).
        ("oidc.start", "GET"): Case(PUBLIC, "/login/nhsmail", 404),
        ("oidc.callback", "GET"): Case(PUBLIC, "/login/nhsmail/callback?code=x&state=y", 404),
        # Board pages.
        ("dashboards.index", "GET"): Case(SIGNED_IN, "/dashboards/"),
        ("dashboards.campaign", "GET"): Case(SIGNED_IN, "/dashboards/spring"),
        ("dashboards.campaign_csv", "GET"): Case(SIGNED_IN, "/dashboards/spring/csv/funnel"),
        ("dashboards.campaign_sheet", "GET"): Case(SIGNED_IN, "/dashboards/spring/xlsx/funnel"),
        ("dashboards.campaign_table", "GET"): Case(SIGNED_IN, "/dashboards/spring/table/funnel"),
        ("dashboards.organisation", "GET"): Case(
            OWN_TEXT, "/dashboards/spring/A01", text=STAFF_COMMENT
        ),
        ("dashboards.organisation_csv", "GET"): Case(
            SIGNED_IN, "/dashboards/spring/A01/csv/profile"
        ),
        ("dashboards.organisation_sheet", "GET"): Case(
            SIGNED_IN, "/dashboards/spring/A01/ods/profile"
        ),
        ("dashboards.hide_comment", "POST"): Case(
            ADMIN, "/dashboards/spring/A01/comments/hide", 404, {"ref": "no-such-comment"}
        ),
        # Reaching respondents (tests/campaigns has the pages' behaviour).
        ("probes.live", "GET"): Case(PUBLIC, "/health/live"),
        ("probes.ready", "GET"): Case(PUBLIC, "/health/ready"),
        ("reaching.opt_out", "GET"): Case(PUBLIC, f"/o/{bogus}", 404),
        ("reaching.opt_out", "POST"): Case(PUBLIC, f"/o/{bogus}", 404, {}),
        ("reaching.contacts", "GET"): Case(ADMIN, "/admin/campaigns/spring/contacts"),
        ("reaching.upload", "POST"): Case(ADMIN, "/admin/campaigns/spring/contacts", 422, {}),
        ("reaching.send_invitations", "POST"): Case(
            ADMIN,
            "/admin/campaigns/spring/send-invitations",
            409,
            {},  # spring has closed
        ),
        ("reaching.send_reminders", "POST"): Case(
            ADMIN, "/admin/campaigns/spring/send-reminders", 302, {}
        ),
        # Who may sign in (tests/auth/test_grants.py has the page's behaviour).
        ("admin_users.index", "GET"): Case(ADMIN, "/admin/users"),
        ("admin_users.grant", "POST"): Case(
            ADMIN, "/admin/users/grant", 302, {"email": "new@nhs.net", "role": "viewer"}
        ),
        ("admin_users.grant_csv", "POST"): Case(
            ADMIN, "/admin/users/grant-csv", 302, {"csv": "email,role,org\nc@nhs.net,viewer,\n"}
        ),
        ("admin_users.remove", "POST"): Case(
            ADMIN, "/admin/users/remove", 302, {"email": "gone@example.nhs.uk"}
        ),
        ("admin_users.grant_domain", "POST"): Case(
            ADMIN, "/admin/users/domains", 302, {"domain": "a.nhs.uk", "role": "viewer"}
        ),
        ("admin_users.revoke_domain", "POST"): Case(
            ADMIN, "/admin/users/domains/remove", 302, {"domain": "gone.nhs.uk"}
        ),
        ("actions.plan", "GET"): Case(
            OWN_TEXT, "/dashboards/spring/A01/actions", text=COSIGN_COMMENT
        ),
        ("actions.new_action", "GET"): Case(EDITS_PLAN, "/dashboards/spring/A01/actions/new"),
        ("actions.new_action", "POST"): Case(
            EDITS_PLAN, "/dashboards/spring/A01/actions/new", 302, action_form()
        ),
        ("actions.edit_action", "GET"): Case(EDITS_PLAN, "/dashboards/spring/A01/actions/{action}"),
        ("actions.edit_action", "POST"): Case(
            EDITS_PLAN, "/dashboards/spring/A01/actions/{action}", 302, action_form(title="New")
        ),
    }


ROUTES = _routes()


def app_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def test_every_route_has_an_entry(app: Flask) -> None:
    table = set(ROUTES)
    missing = sorted(app_routes(app) - table)
    assert not missing, f"routes with no entry in the role table: {missing}"
    assert not sorted(table - app_routes(app)), "entries for routes that no longer exist"


def expected(principal: str, user: User | None, case: Case) -> tuple[int, bool | None]:
    """(status, whether the case's free text is shown) that the rules give this principal."""
    if case.rule == PUBLIC:
        return case.status, None
    if case.rule == BEARER:
        return 401, None
    if case.rule == SIGNED_OUT:
        return (case.status if user is None else 302), None
    if user is None:
        return 302, None  # to the sign-in page
    if case.rule == SIGNED_IN:
        return case.status, None
    if case.rule == OWN_TEXT:
        return case.status, roles.may_read_free_text(user, "A01")
    if case.rule == EDITS_PLAN:
        return (case.status if roles.may_edit_plan(user, "A01") else 403), None
    if case.rule == ADMIN:
        return (case.status if roles.is_admin(user) else 403), None
    raise AssertionError(f"unknown rule {case.rule}")


@dataclass
class Board:
    campaign: Campaign
    users: dict[str, User | None]
    action_id: int


def _board(db: Any) -> Board:  # the world of the module docstring
    campaign = _world(db, "closed")
    users: dict[str, User | None] = {
        "anonymous": None,
        "national": find_user("board@example.nhs.uk"),
        "admin": find_user("admin@example.nhs.uk"),
        "viewer_a": create_user("va@example.nhs.uk", "viewer", PASSWORD, "A01"),
        "viewer_b": create_user("vb@example.nhs.uk", "viewer", PASSWORD, "B01"),
        "editor_a": create_user("ea@example.nhs.uk", "editor", PASSWORD, "A01"),
        "editor_b": create_user("eb@example.nhs.uk", "editor", PASSWORD, "B01"),
    }
    accounts.grant("gone@example.nhs.uk", "viewer", None, actor="test")
    accounts.grant_domain("gone.nhs.uk", "viewer", None, actor="test")
    action = operations.add_action(campaign, "A01", action_form(), users["admin"])
    (token,) = create_cosign_links("spring", "A01", 1)
    give_cosign(token, False, COSIGN_COMMENT)
    db.session.commit()
    return Board(campaign, users, action.id)


def sign_in_as(client: Any, user: User | None) -> None:
    """A fresh session for `user` (None: signed out) with a known CSRF token."""
    with client.session_transaction() as s:
        s.clear()
        s["csrf_token"] = CSRF
        if user is not None:
            _db.session.refresh(user)  # sign-out bumps the session version
            s["_user_id"] = user.get_id()
            s["_fresh"] = True
            s["signed_in_at"] = int(time.time())


def request(client: Any, method: str, case: Case, **fill: object) -> Any:
    url = case.url.format(**fill)
    if method == "GET":
        return client.get(url)
    if case.json is not None:
        return client.post(url, json=case.json)
    return client.post(url, data={"csrf_token": CSRF, **(case.data or {})})


def check_table(
    client: Any,
    users: dict[str, User | None],
    table: dict[tuple[str, str], Case],
    fill: dict[str, object],
    after: Callable[[], None] = lambda: None,
) -> list[str]:
    """Every (route, principal) against the rules; returns what disagrees."""
    wrong = []
    for (endpoint, method), case in sorted(table.items()):
        for principal in PRINCIPALS:
            user = users[principal]
            sign_in_as(client, user)
            response = request(client, method, case, **fill)
            status, shown = expected(principal, user, case)
            got = response.status_code
            if got != status:
                wrong.append(f"{endpoint} {method} as {principal}: {got}, expected {status}")
            to_sign_in = got == 302 and user is None and case.rule not in (PUBLIC, SIGNED_OUT)
            if to_sign_in and "/login" not in response.headers["Location"]:
                wrong.append(f"{endpoint} {method} as {principal}: not sent to sign in")
            if shown is not None and case.text:
                seen = case.text in response.get_data(as_text=True)
                if seen != shown:
                    wrong.append(f"{endpoint} {method} as {principal}: free text shown={seen}")
            after()
    return wrong


@pytest.fixture(autouse=True)
def _fresh_results_cache():  # type: ignore[no-untyped-def]
    from assessor.results import publications

    publications.clear_cache()
    yield
    publications.clear_cache()


def test_every_role_and_organisation_on_every_route(app: Flask, client: Any, db: Any) -> None:
    from assessor.web.limits import limiter

    board = _board(db)
    wrong = check_table(
        client, board.users, ROUTES, {"action": board.action_id}, after=limiter.reset
    )
    assert not wrong, "\n".join(wrong)


def test_scopes_of_roles(db: Any) -> None:
    assert roles.scope_problem("viewer", None) is None
    assert roles.scope_problem("viewer", "A01") is None
    assert roles.scope_problem("editor", "A01") is None
    assert "needs the organisation" in (roles.scope_problem("editor", None) or "")
    assert "belongs to none" in (roles.scope_problem("admin", "A01") or "")
    assert "role must be one of" in (roles.scope_problem("owner", None) or "")
