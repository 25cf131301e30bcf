"""The token service and `assessor tokens create|revoke|list`."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest

from assessor.auth.tokens import (
    TokenError,
    authenticate,
    create_token,
    find_token,
    grants,
    list_tokens,
    revoke,
)
from assessor.auth.tokens_cli import tokens
from assessor.extensions import db
from assessor.models import ApiToken, AuditEvent, utcnow


def test_a_token_is_stored_only_as_its_sha256(db):
    token, raw = create_token("NHS England", ["results:read"])
    assert len(raw) >= 43  # 32 random bytes, URL-safe base64
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.name, token.token_hash}
    assert authenticate(raw) is token
    assert authenticate(raw + "x") is None
    assert authenticate("") is None


def test_expiry_is_the_end_of_the_named_day_and_not_in_the_past(db):
    token, _ = create_token("dated", ["admin"], date(2099, 3, 31))
    assert token.expires_at == datetime(2099, 4, 1, tzinfo=UTC)
    with pytest.raises(TokenError, match="has passed"):
        create_token("stale", ["admin"], date.today() - timedelta(days=1))


def test_expired_and_revoked_tokens_do_not_authenticate(db):
    expired, raw_expired = create_token("expired", ["results:read"], date.today())
    expired.expires_at = utcnow() - timedelta(seconds=1)
    revoked, raw_revoked = create_token("revoked", ["results:read"])
    assert revoke(revoked) is True
    assert revoke(revoked) is False
    assert authenticate(raw_expired) is None
    assert authenticate(raw_revoked) is None


def test_scopes_are_checked_and_admin_grants_all(db):
    with pytest.raises(TokenError, match="unknown scope 'results:write'"):
        create_token("x", ["results:write"])
    with pytest.raises(TokenError, match="at least one scope"):
        create_token("x", [])
    admin, _ = create_token("admin", ["admin"])
    reader, _ = create_token("reader", ["results:read", "results:read"])
    assert reader.scopes == ["results:read"]
    assert all(grants(admin, s) for s in ("results:read", "responses:read", "responses:write"))
    assert grants(reader, "results:read") and not grants(reader, "responses:read")


def test_active_names_are_unique_so_revoke_by_name_is_unambiguous(db):
    first, _ = create_token("NHS England", ["results:read"])
    with pytest.raises(TokenError, match="already named"):
        create_token("NHS England", ["results:read"])
    revoke(first)
    second, _ = create_token("NHS England", ["results:read"])
    assert find_token("NHS England") is second
    assert find_token(str(first.id)) is first
    with pytest.raises(TokenError, match="no token"):
        find_token("nobody")


def test_last_used_at_is_recorded(db):
    token, raw = create_token("user", ["results:read"])
    assert token.last_used_at is None
    authenticate(raw)
    assert token.last_used_at is not None
    assert utcnow() - token.last_used_at < timedelta(seconds=5)


def test_cli_create_prints_the_token_alone_on_the_last_line(runner):
    result = runner.invoke(
        tokens,
        [
            "create",
            "--name",
            "NHS England",
            "--scope",
            "results:read",
            "--scope",
            "responses:read",
            "--expires",
            "2099-03-31",
        ],
    )
    assert result.exit_code == 0, result.output
    raw = result.output.rstrip("\n").splitlines()[-1]
    assert raw.strip() == raw and " " not in raw
    token = authenticate(raw)
    assert token is not None and token.name == "NHS England"
    assert token.scopes == ["results:read", "responses:read"]
    assert token.expires_at == datetime(2099, 4, 1, tzinfo=UTC)
    events = db.session.query(AuditEvent).filter_by(action="token.create").all()
    assert [e.details["token_name"] for e in events] == ["NHS England"]


def test_cli_refuses_bad_arguments(runner):
    bad_scope = runner.invoke(tokens, ["create", "--name", "x", "--scope", "root"])
    assert bad_scope.exit_code != 0
    bad_date = runner.invoke(
        tokens, ["create", "--name", "x", "--scope", "admin", "--expires", "31/03/2027"]
    )
    assert bad_date.exit_code != 0 and "YYYY-MM-DD" in bad_date.output
    assert list_tokens() == []


def test_cli_list_never_shows_secrets_and_revoke_takes_id_or_name(runner):
    created = runner.invoke(tokens, ["create", "--name", "Analysts", "--scope", "admin"])
    raw = created.output.splitlines()[-1]
    token = db.session.query(ApiToken).one()
    listed = runner.invoke(tokens, ["list"])
    assert listed.exit_code == 0
    assert "Analysts" in listed.output and "active" in listed.output
    assert raw not in listed.output and token.token_hash not in listed.output

    revoked = runner.invoke(tokens, ["revoke", "Analysts"])
    assert revoked.exit_code == 0 and "Revoked token" in revoked.output
    again = runner.invoke(tokens, ["revoke", str(token.id)])
    assert again.exit_code == 0 and "already revoked" in again.output
    assert "revoked" in runner.invoke(tokens, ["list"]).output
    assert authenticate(raw) is None
    missing = runner.invoke(tokens, ["revoke", "nobody"])
    assert missing.exit_code != 0
