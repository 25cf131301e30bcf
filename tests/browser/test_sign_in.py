"""Signing in with NHSmail in a real browser, through the test OpenID provider on its own
port (tests/support/oidc_provider.py): a granted board member comes in, a stranger sees
whom to ask; an admin with a password enrols an authenticator. axe finds nothing wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest

from tests.browser.axe import violations
from tests.support.oidc_provider import Provider

PASSWORD = "a long enough password"
pytestmark = pytest.mark.filterwarnings("ignore:The 'grant' parameter")


@pytest.fixture()
def provider(app, monkeypatch) -> Iterator[Provider]:  # type: ignore[no-untyped-def]
    found = Provider().start()
    monkeypatch.setitem(app.config, "OIDC_ISSUER", found.issuer)
    monkeypatch.setitem(app.config, "OIDC_CLIENT_ID", found.client.client_id)
    monkeypatch.setitem(app.config, "OIDC_CLIENT_SECRET", found.client.client_secret)
    monkeypatch.setitem(app.config, "ACCESS_CONTACT", "england.assessor@nhs.net")
    yield found
    found.stop()


def test_nhsmail_sign_in_in_a_browser(page, live_server, provider, db) -> None:  # type: ignore[no-untyped-def]
    from assessor.auth import accounts
    from tests.support.factories import add_orgs

    add_orgs(("A01", "London", "Urban"))
    accounts.grant("member@nhs.net", "viewer", "A01", actor="test")
    db.session.commit()

    provider.person = "stranger@nhs.net"
    page.goto(f"{live_server}/login")
    assert violations(page) == []
    page.click("text=Sign in with NHSmail")
    page.wait_for_url(f"{live_server}/login/nhsmail/callback*")
    assert "has not been given access" in page.inner_text("main")
    assert "england.assessor@nhs.net" in page.inner_text("main")
    assert violations(page) == []

    provider.person = "member@nhs.net"
    page.goto(f"{live_server}/login")
    page.click("text=Sign in with NHSmail")
    page.wait_for_url(f"{live_server}/dashboards/")
    assert "member@nhs.net" in page.inner_text("header")


def test_a_password_admin_enrols_an_authenticator_in_a_browser(page, live_server, db) -> None:  # type: ignore[no-untyped-def]
    from assessor.auth.passwords import create_user

    create_user("admin@example.nhs.uk", "admin", PASSWORD)
    db.session.commit()
    page.goto(f"{live_server}/login")
    page.fill("#email", "admin@example.nhs.uk")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/login/enrol")
    assert page.locator(".qr svg").count() == 1
    assert violations(page) == []
    page.fill("#code", pyotp.TOTP(page.inner_text("#secret")).now())
    page.click("form button[type=submit]")
    assert page.locator(".recovery-codes li").count() == 10
    assert violations(page) == []
    page.click("text=Continue")
    page.wait_for_url(f"{live_server}/dashboards/")
