"""Sign in with NHSmail (issue 20): OpenID Connect against a real provider on a local port
(tests/support/oidc_provider.py, Authlib's server side), with discovery, JWKS, PKCE, state,
nonce and every ID-token check; who may come in; free text by organisation."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from assessor.auth import accounts
from assessor.auth.passwords import create_user, find_user
from assessor.models import AuditEvent, User
from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    set_window,
    uniform_answers,
)
from tests.support.oidc_provider import Provider
from tests.web.test_web import PASSWORD, _login

CONTACT = "england.assessor@nhs.net"
pytestmark = pytest.mark.filterwarnings("ignore:The 'grant' parameter")


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    found = Provider().start()
    yield found
    found.stop()


@pytest.fixture()
def sso(app, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Provider:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "OIDC_ISSUER", provider.issuer)
    monkeypatch.setitem(app.config, "OIDC_CLIENT_ID", provider.client.client_id)
    monkeypatch.setitem(app.config, "OIDC_CLIENT_SECRET", provider.client.client_secret)
    monkeypatch.setitem(app.config, "ACCESS_CONTACT", CONTACT)
    provider.mode, provider.person = None, None
    return provider


def authorise(client, provider: Provider, person: str | None, next_: str = "/dashboards/"):  # type: ignore[no-untyped-def]
    """Start at the app, let the provider sign `person` in; the callback URL it sends back."""
    provider.person = person
    start = client.get(f"/login/nhsmail?next={next_}")
    assert start.status_code == 302, start.get_data(as_text=True)
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    return f"{back.path}?{back.query}"


def sign_in(client, provider: Provider, person: str | None, next_: str = "/dashboards/"):  # type: ignore[no-untyped-def]
    return client.get(authorise(client, provider, person, next_))


def signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/dashboards/").status_code == 200


def audits(db, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def test_the_request_carries_state_nonce_and_a_pkce_challenge(client, db, sso) -> None:
    start = client.get("/login/nhsmail")
    url = urlsplit(start.headers["Location"])
    assert f"{url.scheme}://{url.netloc}" == sso.issuer  # found through discovery
    query = parse_qs(url.query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["assessor"]
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert query["redirect_uri"] == ["http://localhost/login/nhsmail/callback"]


def test_a_granted_user_comes_in_and_is_bound_to_the_provider_subject(client, db, sso) -> None:
    add_orgs(("A01", "London", "Urban"))
    accounts.grant("Lead@NHS.net", "viewer", "A01", actor="admin@example.nhs.uk")
    db.session.commit()
    assert not signed_in(client)
    back = sign_in(client, sso, "lead@nhs.net", "/dashboards/?x=1")
    assert back.status_code == 302 and back.headers["Location"] == "/dashboards/?x=1"
    assert signed_in(client)
    user = find_user("lead@nhs.net")
    assert user.sso_subject == "sub-lead" and user.last_sign_in_at is not None
    assert user.password_hash is None
    (event,) = audits(db, "auth.sign_in")
    assert (event.actor, event.details) == ("lead@nhs.net", {"method": "oidc"})
    # Signing out ends the session; signing in again works (the code and state are new).
    with client.session_transaction() as s:
        s.clear()
    assert sign_in(client, sso, "lead@nhs.net").status_code == 302


def test_a_stranger_is_refused_with_a_page_that_says_whom_to_ask(client, db, sso) -> None:
    refused = sign_in(client, sso, "stranger@nhs.net")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "Your account has not been given access to assessor." in page
    assert "stranger@nhs.net" in page and CONTACT in page and "Whom to ask" in page
    assert find_user("stranger@nhs.net") is None
    assert not signed_in(client)
    (event,) = audits(db, "auth.sign_in_failed")
    assert event.actor == "stranger@nhs.net" and event.details["method"] == "oidc"


def test_the_provider_refusing_the_person_is_refused_too(client, db, sso) -> None:
    refused = sign_in(client, sso, None)  # the provider answers access_denied
    assert refused.status_code == 400
    assert "You did not finish signing in with NHSmail." in refused.get_data(as_text=True)
    assert not signed_in(client)


def test_a_domain_grant_makes_the_account_at_first_sign_in(client, db, sso) -> None:
    add_orgs(("A01", "London", "Urban"))
    accounts.grant_domain("@Trust.NHS.uk", "viewer", "A01", actor="admin@example.nhs.uk")
    db.session.commit()
    assert sign_in(client, sso, "someone@trust.nhs.uk").status_code == 302
    user = find_user("someone@trust.nhs.uk")
    assert (user.role, user.org_code) == ("viewer", "A01")
    assert sign_in(client, sso, "someone@other.nhs.uk").status_code == 403


@pytest.mark.parametrize(
    "mode",
    ["tamper", "audience", "expired", "issuer"],
    ids=["tampered-token", "wrong-audience", "expired-token", "wrong-issuer"],
)
def test_a_bad_id_token_is_refused(client, db, sso, mode: str) -> None:
    create_user("admin@example.nhs.uk", "admin", PASSWORD)
    accounts.grant("lead@nhs.net", "viewer", None, actor="test")
    db.session.commit()
    sso.mode = mode
    refused = sign_in(client, sso, "lead@nhs.net")
    assert refused.status_code == 400
    assert "could not be checked, so it was refused" in refused.get_data(as_text=True)
    assert not signed_in(client)
    assert find_user("lead@nhs.net").sso_subject is None
    assert find_user("admin@example.nhs.uk").last_sign_in_at is None
    assert audits(db, "auth.sign_in") == []


def test_a_replayed_code_is_refused(client, db, sso) -> None:
    accounts.grant("lead@nhs.net", "viewer", None, actor="test")
    db.session.commit()
    callback = authorise(client, sso, "lead@nhs.net")
    assert client.get(callback).status_code == 302
    with client.session_transaction() as s:
        s.clear()
    # The same callback again: its state was used, so the app sends nothing to the provider.
    before = sso.token_requests
    assert client.get(callback).status_code == 400
    assert sso.token_requests == before
    assert not signed_in(client)
    # The old code under a new state (an attacker's own session): the provider refuses it,
    # having used it once (and the new PKCE verifier does not match its challenge).
    fresh = urlsplit(authorise(client, sso, "lead@nhs.net"))
    old_code = parse_qs(urlsplit(callback).query)["code"][0]
    state = parse_qs(fresh.query)["state"][0]
    replay = client.get(f"{fresh.path}?code={old_code}&state={state}")
    assert replay.status_code == 400 and sso.token_requests == before + 1
    assert not signed_in(client)


def test_an_address_the_provider_has_not_verified_is_refused(client, db, sso) -> None:
    accounts.grant("lead@nhs.net", "viewer", None, actor="test")
    db.session.commit()
    sso.mode = "unverified"
    refused = sign_in(client, sso, "lead@nhs.net")
    assert refused.status_code == 403
    assert "has not verified your e-mail address" in refused.get_data(as_text=True)
    assert not signed_in(client)


def test_a_mailbox_that_now_names_another_person_is_refused(client, db, sso) -> None:
    accounts.grant("lead@nhs.net", "viewer", None, actor="test")
    db.session.commit()
    find_user("lead@nhs.net").sso_subject = "sub-someone-before"
    db.session.commit()
    refused = sign_in(client, sso, "lead@nhs.net")
    assert refused.status_code == 403
    assert "tied to another person" in refused.get_data(as_text=True)


def test_login_page_offers_nhsmail_only_when_configured_and_keeps_passwords(
    app, client, db, sso, monkeypatch
) -> None:
    create_user("pw@example.nhs.uk", "viewer", PASSWORD)
    accounts.grant("sso@nhs.net", "viewer", None, actor="test")
    db.session.commit()
    page = client.get("/login?next=/dashboards/x").get_data(as_text=True)
    assert "Sign in with NHSmail" in page and "/login/nhsmail?next=/dashboards/x" in page
    assert _login(client, "pw@example.nhs.uk").status_code == 302
    with client.session_transaction() as s:
        s.clear()
    # An account made by a grant has no password to guess.
    assert _login(client, "sso@nhs.net", "").status_code == 400
    assert _login(client, "sso@nhs.net", PASSWORD).status_code == 400
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "")
    assert "Sign in with NHSmail" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/nhsmail").status_code == 404
    assert client.get("/login/nhsmail/callback?code=x&state=y").status_code == 404


def test_an_unreachable_provider_gives_a_clear_page(app, client, db, sso, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "http://127.0.0.1:9")  # nothing listens
    page = client.get("/login/nhsmail")
    assert page.status_code == 503
    assert "not available at the moment" in page.get_data(as_text=True)


# ------------------------------------------------------------- free text by organisation


def _two_organisations_with_free_text(db) -> None:  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"), ("B01", "North West", "Rural"))
    campaign = make_campaign("spring", state="open", k=5)
    q = questionnaire(campaign)
    agree, neutral = uniform_answers(q, "agree"), uniform_answers(q, "neutral")
    for org in ("A01", "B01"):
        for s in range(10):
            answers = dict(neutral if s < 2 else agree, comments=f"{org} staff comment {s}")
            responses.submit(campaign, org, "staff", answers)
            responses.submit(campaign, org, "patient_leader", dict(neutral if s else agree))
    set_window(campaign, "closed")
    db.session.commit()


@pytest.fixture()
def _fresh_results_cache():  # type: ignore[no-untyped-def]
    from assessor.results import publications

    publications.clear_cache()
    yield
    publications.clear_cache()


@pytest.mark.usefixtures("_fresh_results_cache")
def test_a_board_member_of_a_reads_as_free_text_not_bs_and_a_national_viewer_none(
    client, db, sso
) -> None:
    _two_organisations_with_free_text(db)
    accounts.grant("member@nhs.net", "viewer", "A01", actor="test")
    accounts.grant("analyst@england.nhs.uk", "viewer", None, actor="test")
    db.session.commit()
    assert sign_in(client, sso, "member@nhs.net").status_code == 302
    own = client.get("/dashboards/spring/A01").get_data(as_text=True)
    other = client.get("/dashboards/spring/B01").get_data(as_text=True)
    assert "A01 staff comment 1" in own
    assert "B01 staff comment" not in other
    assert "Your account belongs to another organisation" in other
    with client.session_transaction() as s:
        s.clear()
    assert sign_in(client, sso, "analyst@england.nhs.uk").status_code == 302
    for org in ("A01", "B01"):
        page = client.get(f"/dashboards/spring/{org}").get_data(as_text=True)
        assert client.get(f"/dashboards/spring/{org}").status_code == 200
        assert "staff comment" not in page
        assert "belongs to no organisation (a national view)" in page
    # B's free text is there to be read: an admin (signing in through NHSmail) reads it.
    accounts.grant("boss@nhs.net", "admin", None, actor="test")
    db.session.commit()
    with client.session_transaction() as s:
        s.clear()
    assert sign_in(client, sso, "boss@nhs.net").status_code == 302
    assert "B01 staff comment 1" in client.get("/dashboards/spring/B01").get_data(as_text=True)
    users = db.session.scalars(select(User).order_by(User.email)).all()
    assert [u.email for u in users] == ["analyst@england.nhs.uk", "boss@nhs.net", "member@nhs.net"]
