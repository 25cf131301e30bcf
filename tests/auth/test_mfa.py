"""A second factor for passwords (issue 20, step 4): password admins must enrol a TOTP
authenticator (QR code as inline SVG), with one-time recovery codes stored hashed; other
password accounts may; every code works once."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from assessor.auth import accounts, mfa
from assessor.auth.passwords import create_user, find_user
from assessor.models import AuditEvent
from tests.web.test_web import PASSWORD, _token

ADMIN = "admin@example.nhs.uk"


def password_step(client, email: str):  # type: ignore[no-untyped-def]
    token = _token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})


def give(client, url: str, code: str):  # type: ignore[no-untyped-def]
    token = _token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"code": code, "csrf_token": token})


def signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/dashboards/").status_code == 200


def actions(db) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.action, e.details) for e in rows]


def enrol(client) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    page = client.get("/login/enrol").get_data(as_text=True)
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page).group(1)
    data = {"code": pyotp.TOTP(secret).now(), "csrf_token": _token(page)}
    done = client.post("/login/enrol", data=data)
    assert done.status_code == 200, done.get_data(as_text=True)
    return secret, re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.get_data(as_text=True))


def test_a_password_admin_must_enrol_before_the_sign_in_completes(client, db) -> None:
    create_user(ADMIN, "admin", PASSWORD)
    db.session.commit()
    first = password_step(client, ADMIN)
    assert first.status_code == 302 and first.headers["Location"] == "/login/enrol"
    assert not signed_in(client)  # a right password alone lets no admin in
    page = client.get("/login/enrol").get_data(as_text=True)
    assert '<svg width="' in page and "QR code for your authenticator app" in page
    assert "https://" not in page.split("<svg", 1)[1].split("</svg>")[0]  # drawn here
    refused = give(client, "/login/enrol", "000000")
    assert refused.status_code == 400
    # the GOV.UK error summary at the top, linking to the field at fault
    html = refused.get_data(as_text=True)
    assert html.index("There is a problem") < html.index('id="code"')
    assert '<li><a href="#code">' in html
    assert not signed_in(client)
    secret, codes = enrol(client)
    assert signed_in(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    user = find_user(ADMIN)
    assert user.totp_secret == secret
    stored = " ".join(user.recovery_codes)
    assert len(user.recovery_codes) == 10 and not any(c in stored for c in codes)
    assert ("auth.mfa_enrol", {}) in actions(db)
    assert ("auth.sign_in", {"method": "password and new authenticator"}) in actions(db)


def test_the_next_sign_in_asks_for_a_code_and_each_code_works_once(client, db) -> None:
    create_user(ADMIN, "admin", PASSWORD)
    db.session.commit()
    password_step(client, ADMIN)
    secret, codes = enrol(client)
    with client.session_transaction() as s:
        s.clear()
    assert password_step(client, ADMIN).headers["Location"] == "/login/verify"
    assert not signed_in(client)
    wrong = give(client, "/login/verify", "123456")
    assert wrong.status_code == 400 and "Enter the 6-digit code" in wrong.get_data(as_text=True)
    assert '<li><a href="#code">Enter the 6-digit code' in wrong.get_data(as_text=True)
    # The code just used to enrol is refused: its time step has been used.
    assert give(client, "/login/verify", pyotp.TOTP(secret).now()).status_code == 400
    assert give(client, "/login/verify", codes[0].upper()).status_code == 302
    assert signed_in(client)
    assert len(find_user(ADMIN).recovery_codes) == 9
    with client.session_transaction() as s:
        s.clear()
    password_step(client, ADMIN)
    assert give(client, "/login/verify", codes[0]).status_code == 400  # used up
    failures = [d for a, d in actions(db) if a == "auth.sign_in_failed"]
    assert failures and all(d["reason"] == "wrong second factor" for d in failures)


def test_totp_codes_are_accepted_once_and_only_near_their_time(db) -> None:
    user = create_user(ADMIN, "admin", PASSWORD)
    secret = mfa.new_secret()
    now = time.time()
    totp = pyotp.TOTP(secret)
    assert mfa.enrol(user, secret, "000000" if totp.at(now) != "000000" else "111111") is None
    assert mfa.enrol(user, secret, totp.at(now - 60), at=now) is None  # too old
    assert mfa.enrol(user, secret, totp.at(now), at=now) is not None
    later = now + 90
    assert mfa.verify(user, totp.at(later), at=later) == "totp"
    assert mfa.verify(user, totp.at(later), at=later) is None  # replayed
    assert mfa.verify(user, totp.at(later - 30), at=later) is None  # older than the last


def test_other_password_accounts_may_enrol_and_sso_accounts_are_not_asked(client, db) -> None:
    viewer = create_user("viewer@example.nhs.uk", "viewer", PASSWORD)
    sso_admin, _ = accounts.grant("lead@nhs.net", "admin", None, actor="test")
    db.session.commit()
    assert not mfa.required(viewer) and not mfa.required(sso_admin)
    assert password_step(client, "viewer@example.nhs.uk").headers["Location"] == "/dashboards/"
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "Set up an authenticator" in page and "need a second factor" not in page
    enrol(client)
    assert signed_in(client)
    with client.session_transaction() as s:
        s.clear()
    assert password_step(client, "viewer@example.nhs.uk").headers["Location"] == "/login/verify"


def test_a_waiting_password_expires_and_wrong_codes_are_limited(app, client, db) -> None:
    create_user(ADMIN, "admin", PASSWORD)
    db.session.commit()
    password_step(client, ADMIN)
    enrol(client)
    with client.session_transaction() as s:
        s.clear()
    password_step(client, ADMIN)
    with client.session_transaction() as s:
        s["mfa_since"] -= 601
    assert client.get("/login/verify").headers["Location"] == "/login"
    password_step(client, ADMIN)
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit):
        assert give(client, "/login/verify", "123456").status_code == 400
    assert give(client, "/login/verify", "123456").status_code == 429
