"""Account hygiene (issue 20, step 5): sign-ins, failures and sign-outs audited; accounts
unused for INACTIVE_DAYS refused and disabled; sessions end at sign-out everywhere and
SESSION_HOURS after sign-in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from assessor.auth import accounts
from assessor.auth.passwords import create_user, find_user
from assessor.models import AuditEvent, utcnow
from tests.web.test_web import PASSWORD, _login, _token

VIEWER = "viewer@example.nhs.uk"


def trail(db) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor, e.action, e.details) for e in rows]


def signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/dashboards/").status_code == 200


def sign_out(client) -> None:  # type: ignore[no-untyped-def]
    token = _token(client.get("/dashboards/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_sign_ins_failures_and_sign_outs_are_audited(client, db) -> None:
    create_user(VIEWER, "viewer", PASSWORD)
    db.session.commit()
    assert _login(client, VIEWER, "not the password at all").status_code == 400
    assert _login(client, "Nobody@example.nhs.uk", "not the password at all").status_code == 400
    assert _login(client, VIEWER).status_code == 302
    sign_out(client)
    assert trail(db) == [
        (VIEWER, "auth.sign_in_failed", {"method": "password", "reason": "refused"}),
        (
            "nobody@example.nhs.uk",
            "auth.sign_in_failed",
            {"method": "password", "reason": "refused"},
        ),
        (VIEWER, "auth.sign_in", {"method": "password"}),
        (VIEWER, "auth.sign_out", {}),
    ]
    assert find_user(VIEWER).last_sign_in_at is not None


def test_a_session_ends_after_session_hours(app, client, db, monkeypatch) -> None:
    create_user(VIEWER, "viewer", PASSWORD)
    db.session.commit()
    _login(client, VIEWER)
    assert signed_in(client)
    with client.session_transaction() as s:
        s["signed_in_at"] -= int(8 * 3600) - 60
    assert signed_in(client)  # a minute left
    with client.session_transaction() as s:
        s["signed_in_at"] -= 120
    assert not signed_in(client)
    monkeypatch.setitem(app.config, "SESSION_HOURS", 24)
    assert signed_in(client)  # the setting decides


def test_sign_out_ends_the_sessions_of_every_browser(app, client, db) -> None:
    from tests.conftest import RequestPerContextClient

    create_user(VIEWER, "viewer", PASSWORD)
    db.session.commit()
    other = RequestPerContextClient(app, app.response_class, use_cookies=True)
    _login(client, VIEWER)
    _login(other, VIEWER)
    assert signed_in(client) and signed_in(other)
    sign_out(client)
    assert not signed_in(other)


def test_an_unused_account_is_refused_and_disabled(app, client, db, monkeypatch) -> None:
    user = create_user(VIEWER, "viewer", PASSWORD)
    user.last_sign_in_at = user.granted_at = utcnow() - timedelta(days=91)
    db.session.commit()
    assert _login(client, VIEWER).status_code == 400
    assert not signed_in(client)
    assert find_user(VIEWER).disabled_at is not None
    monkeypatch.setitem(app.config, "INACTIVE_DAYS", 365)
    assert _login(client, VIEWER).status_code == 400  # disabled stays disabled
    monkeypatch.setitem(app.config, "INACTIVE_DAYS", 90)
    actions = [a for _, a, _ in trail(db)]
    assert actions == ["auth.sign_in_failed", "user.disable", "auth.sign_in_failed"]
    # An admin's new grant enables it again, and its 90 days start again.
    accounts.grant(VIEWER, "viewer", None, actor="admin@example.nhs.uk")
    db.session.commit()
    assert _login(client, VIEWER).status_code == 302
    assert "user.enable" in [a for _, a, _ in trail(db)]


def test_disabling_ends_a_session_in_progress(client, db) -> None:
    create_user(VIEWER, "viewer", PASSWORD)
    db.session.commit()
    _login(client, VIEWER)
    assert signed_in(client)
    accounts.disable(find_user(VIEWER), "unused", actor="system")
    db.session.commit()
    assert not signed_in(client)


def test_an_unused_single_sign_on_account_is_refused_and_disabled(db) -> None:
    user, _ = accounts.grant("lead@nhs.net", "viewer", None, actor="test")
    user.granted_at = utcnow() - timedelta(days=91)  # granted, never used
    db.session.commit()
    refused = accounts.admit("lead@nhs.net", "sub-lead")
    assert refused.user is None and "not used for a while" in (refused.refusal or "")
    assert user.disabled_at is not None and user.sso_subject is None
