"""Who may come in (issue 20, step 3): `assessor users grant|grant-csv|remove|allow-domain`
and the administrators' page, every change audited."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from assessor.auth import accounts
from assessor.auth.passwords import create_user, find_user
from assessor.models import AuditEvent, DomainGrant, utcnow
from tests.actions.conftest import CSRF, post, sign_in
from tests.support.factories import add_orgs
from tests.web.test_web import PASSWORD


def events(db, prefix: str = "") -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor, e.action, e.details) for e in rows if e.action.startswith(prefix)]


def test_grant_makes_an_account_without_password_and_a_second_grant_changes_the_role(
    runner, db
) -> None:
    add_orgs(("A01", "London", "Urban"))
    result = runner.invoke(args=["users", "grant", "Lead@NHS.net", "--role", "viewer"])
    assert result.exit_code == 0, result.output
    assert "Granted lead@nhs.net: national viewer." in result.output
    user = find_user("lead@nhs.net")
    assert user.password_hash is None and user.org_code is None
    version = user.session_version
    result = runner.invoke(
        args=["users", "grant", "lead@nhs.net", "--role", "editor", "--org", "A01"]
    )
    assert "Changed lead@nhs.net: editor of A01." in result.output
    db.session.refresh(user)
    assert (user.role, user.org_code) == ("editor", "A01")
    assert user.session_version == version + 1  # sessions of the old role end
    again = runner.invoke(
        args=["users", "grant", "lead@nhs.net", "--role", "editor", "--org", "A01"]
    )
    assert "Unchanged: lead@nhs.net" in again.output
    assert events(db, "user.") == [
        ("cli", "user.grant", {"email": "lead@nhs.net", "role": "viewer", "organisation": None}),
        (
            "cli",
            "user.role_change",
            {"email": "lead@nhs.net", "before": "national viewer", "after": "editor of A01"},
        ),
    ]
    for args, message in (
        (["x@nhs.net", "--role", "admin", "--org", "A01"], "belongs to none"),
        (["x@nhs.net", "--role", "editor"], "an editor needs the organisation"),
        (["x@nhs.net", "--role", "viewer", "--org", "ZZZ"], "there is no organisation 'ZZZ'"),
        (["not-an-address", "--role", "viewer"], "is not an e-mail address"),
    ):
        refused = runner.invoke(args=["users", "grant", *args])
        assert refused.exit_code != 0 and message in refused.output, refused.output
    assert find_user("x@nhs.net") is None


def test_grant_csv_grants_every_row_or_none(runner, db, tmp_path) -> None:
    add_orgs(("A01", "London", "Urban"), ("B01", "North West", "Rural"))
    good = tmp_path / "good.csv"
    good.write_text(
        "email,role,org\na@nhs.net,viewer,A01\nb@nhs.net,editor,B01\nc@nhs.net,viewer,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["users", "grant-csv", str(good)])
    assert result.exit_code == 0, result.output
    assert "3 granted, 0 changed, 0 unchanged." in result.output
    assert find_user("b@nhs.net").org_code == "B01"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,role,org\nd@nhs.net,viewer,A01\nnope,viewer,\ne@nhs.net,admin,A01\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["users", "grant-csv", str(bad)])
    assert result.exit_code != 0
    assert "line 3: 'nope' is not an e-mail address" in result.output
    assert "line 4: an admin acts on every organisation" in result.output
    assert find_user("d@nhs.net") is None
    headless = tmp_path / "headless.csv"
    headless.write_text("a@nhs.net,viewer,A01\n", encoding="utf-8")
    assert "needs a header" in runner.invoke(args=["users", "grant-csv", str(headless)]).output


def test_remove_and_domain_grants_are_audited(runner, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    create_user("pw@example.nhs.uk", "viewer", PASSWORD, "A01")
    db.session.commit()
    assert runner.invoke(args=["users", "remove", "PW@example.nhs.uk"]).exit_code == 0
    assert find_user("pw@example.nhs.uk") is None
    assert "no user with e-mail" in runner.invoke(args=["users", "remove", "pw@x.org"]).output
    result = runner.invoke(
        args=["users", "allow-domain", "@trust.nhs.uk", "--role", "viewer", "--org", "A01"]
    )
    assert "Anyone at trust.nhs.uk may sign in as viewer of A01." in result.output
    refused = runner.invoke(args=["users", "allow-domain", "nhs.net", "--role", "admin"])
    assert "admins are granted one by one" in refused.output
    listed = runner.invoke(args=["users", "list"]).output
    assert "@trust.nhs.uk" in listed and "viewer of A01" in listed
    assert runner.invoke(args=["users", "disallow-domain", "trust.nhs.uk"]).exit_code == 0
    assert db.session.scalars(select(DomainGrant)).all() == []
    assert [a for _, a, _ in events(db)] == ["user.remove", "domain.grant", "domain.revoke"]


def test_the_admin_page_grants_one_many_and_domains_and_removes(client, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    admin = create_user("admin@example.nhs.uk", "admin", PASSWORD)
    viewer = create_user("v@example.nhs.uk", "viewer", PASSWORD, "A01")
    db.session.commit()
    sign_in(client, viewer)
    assert client.get("/admin/users").status_code == 403
    sign_in(client, admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Who may sign in" in page and "v@example.nhs.uk" in page
    grant = {"email": "new@nhs.net", "role": "editor", "org": "A01"}
    assert post(client, "/admin/users/grant", grant).status_code == 302
    assert find_user("new@nhs.net").org_code == "A01"
    refused = post(client, "/admin/users/grant", {**grant, "org": ""})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "An editor needs the organisation" in html
    assert html.index("There is a problem") < html.index("<h2>Grant access</h2>")  # at the top
    upload = {
        "csrf_token": CSRF,
        "file": (io.BytesIO(b"email,role,org\nx@nhs.net,viewer,\ny@nhs.net,viewer,A01\n"), "g.csv"),
    }
    answer = client.post("/admin/users/grant-csv", data=upload, follow_redirects=True)
    assert "2 granted, 0 changed, 0 unchanged." in answer.get_data(as_text=True)
    domain = {"domain": "trust.nhs.uk", "role": "viewer", "org": "A01"}
    assert post(client, "/admin/users/domains", domain).status_code == 302
    assert "trust.nhs.uk" in client.get("/admin/users").get_data(as_text=True)
    assert post(client, "/admin/users/remove", {"email": "x@nhs.net"}).status_code == 302
    assert post(client, "/admin/users/remove", {"email": "admin@example.nhs.uk"}).status_code == 400
    assert (
        post(client, "/admin/users/domains/remove", {"domain": "trust.nhs.uk"}).status_code == 302
    )
    actions = [(actor, action) for actor, action, _ in events(db)]
    assert actions == [
        ("admin@example.nhs.uk", "user.grant"),
        ("admin@example.nhs.uk", "user.grant"),
        ("admin@example.nhs.uk", "user.grant"),
        ("admin@example.nhs.uk", "domain.grant"),
        ("admin@example.nhs.uk", "user.remove"),
        ("admin@example.nhs.uk", "domain.revoke"),
    ]


def test_a_removed_or_regranted_users_session_ends(client, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    user, _ = accounts.grant("lead@nhs.net", "viewer", "A01", actor="test")
    db.session.commit()
    sign_in(client, user)
    assert client.get("/dashboards/").status_code == 200
    accounts.grant("lead@nhs.net", "viewer", None, actor="test")
    db.session.commit()
    assert client.get("/dashboards/").status_code == 302


def test_unused_accounts_are_disabled(runner, client, db) -> None:
    old = utcnow() - timedelta(days=91)
    stale = create_user("stale@example.nhs.uk", "viewer", PASSWORD)
    stale.created_at = stale.granted_at = old
    fresh = create_user("fresh@example.nhs.uk", "viewer", PASSWORD)
    fresh.created_at = fresh.granted_at = old
    fresh.last_sign_in_at = utcnow() - timedelta(days=89)
    db.session.commit()
    result = runner.invoke(args=["users", "disable-inactive"])
    assert "Disabled 1 unused account(s)." in result.output and "stale@" in result.output
    db.session.refresh(stale)
    assert stale.disabled_at is not None and fresh.disabled_at is None
    assert ("system", "user.disable") in [(a, b) for a, b, _ in events(db)]
