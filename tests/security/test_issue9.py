"""Issue 9: each promise of the privacy notice or the design that an outside test found
broken, one test (or a few) per finding."""

from __future__ import annotations

import base64
import io
import json
import re
import time
import zlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from assessor.auth.passwords import create_user
from assessor.campaigns import invitations
from assessor.extensions import db
from assessor.models import Invitation, Response, utcnow
from assessor.survey.pages import survey_pages
from assessor.web import paging
from assessor.web.crypto import seal
from assessor.web.headers import HEADERS
from tests.conftest import RequestPerContextClient
from tests.fixtures.api import OPEN, uniform
from tests.support.factories import add_orgs, make_campaign, questionnaire

CSRF = "test-csrf-token"
PASSWORD = "a long enough password"


def _browser(app):  # type: ignore[no-untyped-def]
    """A new browser: its own cookie jar, holding only a CSRF token."""
    client = RequestPerContextClient(app, app.response_class, use_cookies=True)
    with client.session_transaction() as s:
        s["csrf_token"] = CSRF
    return client


def _post(client, url: str, data: dict[str, str] | None = None, **kwargs):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": CSRF, **(data or {})}, **kwargs)


def _survey(db_, access: str = "open"):  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", access=access)
    q = questionnaire(campaign)
    db_.session.commit()
    return campaign, q


def _first_page(q) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = survey_pages(q)[0]
    return {item.link_id: "agree" for item in page.items if item.type == "agreement"}


# ------------------------------------------------------------------ 1. one per invitation


def test_one_invitation_opened_in_four_browsers_submits_one_response(app, client, db) -> None:
    campaign, q = _survey(db, access="invitation")
    raw = invitations.create_invitations(campaign, "A01", "staff", 1)[0]
    db.session.commit()
    browsers = [_browser(app) for _ in range(4)]
    tokens = []
    for browser in browsers:  # all four start before any submits
        started = _post(browser, f"/i/{raw}")
        assert started.status_code == 302
        tokens.append(started.headers["Location"].split("/")[2])
    for browser, token in zip(browsers, tokens, strict=True):
        _post(browser, f"/r/{token}/1", {**_first_page(q), "action": "continue"})
    outcomes = [
        _post(b, f"/r/{t}/review").status_code for b, t in zip(browsers, tokens, strict=True)
    ]
    assert outcomes == [302, 404, 404, 404]
    db.session.expire_all()
    submitted = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.status == "submitted")
    )
    assert submitted == 1
    assert db.session.scalars(select(Invitation)).one().used_at is not None
    # The others' pages now say the link has been used, and their answers are not counted.
    page = browsers[1].get(f"/r/{tokens[1]}/1")
    assert page.status_code == 404 and "already been used" in page.get_data(as_text=True)


# ------------------------------------------------------------------ 2. times to the day


def _is_midnight(value: datetime) -> bool:
    return (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)


def test_nothing_finer_than_a_day_is_stored_or_filterable(api, world) -> None:
    body = {
        "submission_id": "day-only",
        "organisation": "00B",
        "audience": "staff",
        "answers": uniform(world.q, "agree", comment=None),
    }
    created = api.post(
        f"/api/v1/campaigns/{OPEN}/responses", json=body, headers=world.headers("write")
    )
    assert created.status_code == 201
    row = db.session.scalar(select(Response).where(Response.submission_id == "day-only"))
    for stamp in (row.created_at, row.updated_at, row.submitted_at):
        assert _is_midnight(stamp), stamp
    read = world.headers("read")
    url = f"/api/v1/campaigns/{OPEN}/responses"
    now = utcnow()
    for refused in (now.isoformat(), now.strftime("%Y-%m-%dT%H:%M"), "2026-12-01T00:00:00Z"):
        answer = api.get(url, query_string={"updated_since": refused}, headers=read)
        assert answer.status_code == 422, refused
        assert list(answer.get_json()["errors"]) == ["updated_since"]
    today = api.get(url, query_string={"updated_since": now.date().isoformat()}, headers=read)
    assert today.status_code == 200 and today.get_json()["total"] == 7


def test_a_survey_submission_keeps_the_day_only(app, client, db) -> None:
    _, q = _survey(db)
    browser = _browser(app)
    token = _post(browser, "/s/c/A01/staff").headers["Location"].split("/")[2]
    _post(browser, f"/r/{token}/1", {**_first_page(q), "action": "continue"})
    assert _post(browser, f"/r/{token}/review").status_code == 302
    db.session.expire_all()
    row = db.session.scalars(select(Response)).one()
    assert row.status == "submitted"
    assert all(_is_midnight(s) for s in (row.created_at, row.updated_at, row.submitted_at))


# ------------------------------------------------------------------ 3. opaque cursors


def _cursor(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def _readable(part: str) -> object:
    """What a client could read from a piece of a cursor: base64 JSON, maybe compressed."""
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    try:
        return json.loads(raw)
    except ValueError:
        return json.loads(zlib.decompress(raw))


def test_cursors_are_encrypted_and_reveal_no_internal_number(api, world) -> None:
    url = f"/api/v1/campaigns/{OPEN}/responses?limit=2"
    first = api.get(url, headers=world.headers("read")).get_json()
    cursor = _cursor(first["next"])
    for part in [cursor, *cursor.split("."), cursor.lstrip(".")]:
        with pytest.raises((ValueError, zlib.error)):
            _readable(part)
    again = api.get(url, headers=world.headers("read")).get_json()
    assert _cursor(again["next"]) != cursor  # a fresh nonce each time: nothing to compare
    assert api.get(first["next"], headers=world.headers("read")).status_code == 200


def test_forged_tampered_and_expired_cursors_are_refused(api, world, monkeypatch) -> None:
    read = world.headers("read")
    url = f"/api/v1/campaigns/{OPEN}/responses?limit=2"
    first = api.get(url, headers=read).get_json()
    cursor = _cursor(first["next"])
    forged = seal("another key", "assessor.web.api.cursor", {"p": 10**9, "a": 0})
    flipped = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    for bad in (forged, flipped, cursor[:-4], "", "x" * 400):
        answer = api.get(f"{url}&cursor={bad}", headers=read)
        assert answer.status_code == 400, bad
        assert answer.mimetype == "application/problem+json"
        assert "cursor" in answer.get_json()["detail"]
    later = time.time() + paging.CURSOR_MAX_AGE_SECONDS + 60
    monkeypatch.setattr(paging.time, "time", lambda: later)
    expired = api.get(first["next"], headers=read)
    assert expired.status_code == 400 and "cursor" in expired.get_json()["detail"]


# ------------------------------------------------------------------ 4. sessions end


def _csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _sign_in(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """A password, then the authenticator's code when one is asked for."""
    from tests.web.test_web import _login

    return _login(client, email, password)


def _admin_with_open_campaign(db_) -> None:  # type: ignore[no-untyped-def]
    import pyotp

    from assessor.auth import mfa

    admin = create_user("admin@example.nhs.uk", "admin", PASSWORD)
    secret = mfa.new_secret()
    mfa.enrol(admin, secret, pyotp.TOTP(secret).now())  # admins have a second factor
    _survey(db_)


def _stolen_copy(app, client):  # type: ignore[no-untyped-def]
    """Another browser holding a copy of the session cookie."""
    copy = RequestPerContextClient(app, app.response_class, use_cookies=True)
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_logout_ends_every_session_of_the_user(app, client, db) -> None:
    _admin_with_open_campaign(db)
    assert _sign_in(client, "admin@example.nhs.uk").status_code == 302
    other = RequestPerContextClient(app, app.response_class, use_cookies=True)
    assert _sign_in(other, "admin@example.nhs.uk").status_code == 302  # a second device
    copy = _stolen_copy(app, client)
    assert copy.get("/dashboards/c").status_code == 200
    page = client.get("/dashboards/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": _csrf_from(page)}).status_code == 302
    for holder in (copy, other):
        answer = holder.get("/dashboards/c")
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_a_password_change_ends_every_session(app, client, db, runner) -> None:
    _admin_with_open_campaign(db)
    _sign_in(client, "admin@example.nhs.uk")
    copy = _stolen_copy(app, client)
    assert copy.get("/dashboards/c").status_code == 200
    result = runner.invoke(
        args=["users", "set-password", "admin@example.nhs.uk", "--password-stdin"],
        input="another long password\n",
    )
    assert result.exit_code == 0, result.output
    assert copy.get("/dashboards/c").status_code == 302
    assert client.get("/dashboards/c").status_code == 302
    assert _sign_in(client, "admin@example.nhs.uk", "another long password").status_code == 302
    assert client.get("/dashboards/c").status_code == 200


# ------------------------------------------------------------------ 5. sign-in throttled


def test_25_wrong_passwords_then_the_right_one_is_refused(client, db) -> None:
    create_user("board@example.nhs.uk", "viewer", PASSWORD)
    db.session.commit()
    statuses = []
    for i in range(25):
        # From a different address each time: the per-account limit holds regardless.
        addr = {"REMOTE_ADDR": f"198.51.100.{i}"}
        token = _csrf_from(client.get("/login").get_data(as_text=True))
        form = {"email": "Board@example.nhs.uk", "password": f"wrong {i}", "csrf_token": token}
        statuses.append(client.post("/login", data=form, environ_base=addr).status_code)
    assert statuses[:10] == [400] * 10 and set(statuses[10:]) == {429}
    right = _sign_in(client, "board@example.nhs.uk")
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.get_data(as_text=True)
    assert 0 < int(right.headers["Retry-After"]) <= 15 * 60  # within the 15-minute window
    assert client.get("/dashboards/").status_code == 302  # not signed in


def test_one_address_is_throttled_across_accounts(app, client, db, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    create_user("board@example.nhs.uk", "viewer", PASSWORD)
    db.session.commit()
    addr = {"REMOTE_ADDR": "203.0.113.5"}
    for i in range(3):
        token = _csrf_from(client.get("/login").get_data(as_text=True))
        form = {"email": f"user{i}@example.nhs.uk", "password": "nope", "csrf_token": token}
        assert client.post("/login", data=form, environ_base=addr).status_code == 400
    token = _csrf_from(client.get("/login").get_data(as_text=True))
    form = {"email": "board@example.nhs.uk", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form, environ_base=addr).status_code == 429
    elsewhere = {"REMOTE_ADDR": "203.0.113.6"}
    assert client.post("/login", data=form, environ_base=elsewhere).status_code == 302


def test_successful_sign_ins_do_not_count(client, db) -> None:
    create_user("board@example.nhs.uk", "viewer", PASSWORD)
    db.session.commit()
    for _ in range(12):
        assert _sign_in(client, "board@example.nhs.uk").status_code == 302
        client.delete_cookie("session")


def test_api_submissions_are_limited_per_token(app, api, world, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "API_SUBMISSIONS_LIMIT", "2 per minute")
    url = f"/api/v1/campaigns/{OPEN}/responses"
    answers = uniform(world.q, "agree", comment=None)
    statuses = []
    for i in range(3):
        body = {"submission_id": f"s{i}", "organisation": "00B", "audience": "staff"}
        reply = api.post(url, json={**body, "answers": answers}, headers=world.headers("write"))
        statuses.append(reply.status_code)
    assert statuses == [201, 201, 429]
    assert reply.mimetype == "application/problem+json"
    assert 0 < int(reply.headers["Retry-After"]) <= 60
    # Counts are not announced on every request (a second storage round trip each): only a
    # refusal says when to come back.
    assert "X-RateLimit-Remaining" not in reply.headers
    assert db.session.scalar(select(func.count()).select_from(Response)) == 18 + 6 + 2


# ------------------------------------------------------------------ 6. security headers

PAGES = ["/", "/login", "/privacy", "/api/v1/health", "/api/openapi.json", "/no-such-page"]


@pytest.mark.parametrize("name", sorted(HEADERS))
@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_each_security_header(client, db, path: str, name: str) -> None:
    assert client.get(path).headers.get(name) == HEADERS[name]


def test_the_policy_forbids_framing_inline_script_and_other_origins(client, db) -> None:
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'" and "unsafe" not in policy
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"


def test_no_store_on_everything_behind_a_sign_in_or_token(client, api, world) -> None:
    create_user("board@example.nhs.uk", "viewer", PASSWORD)
    db.session.commit()
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    _sign_in(client, "board@example.nhs.uk")
    for path in ("/dashboards/", "/", f"/dashboards/{OPEN}"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    for path in ("/api/v1/campaigns", f"/api/v1/campaigns/{OPEN}/responses", "/api/v1/nothing"):
        assert api.get(path, headers=world.headers("admin")).headers["Cache-Control"] == (
            "no-store"
        ), path


# ------------------------------------------------------------------ 7. NUL in paths


@pytest.mark.parametrize(
    "path", ["/results/%00", "/results/c/%00", "/s/%00/A01/staff", "/i/%00", "/r/%00/1", "/%00"]
)
def test_a_nul_in_any_path_is_404(client, db, path: str) -> None:
    _survey(db)
    assert client.get(path).status_code == 404


# ------------------------------------------------------------------ 8. chunked bodies


def _chunked(client, url: str, body: bytes, content_type: str, headers=None):  # type: ignore[no-untyped-def]
    """As gunicorn hands over a chunked body: no usable Content-Length, input terminated."""
    return client.post(
        url,
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers=headers or {},
        environ_overrides={"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"},
    )


def test_an_80_kb_chunked_body_is_413(api, world) -> None:
    url = f"/api/v1/campaigns/{OPEN}/responses"
    filler = "x" * (80 * 1024)
    body = json.dumps({"submission_id": "big", "organisation": "00B", "padding": filler})
    answer = _chunked(api, url, body.encode(), "application/json", world.headers("write"))
    assert answer.status_code == 413
    assert answer.mimetype == "application/problem+json"
    small = json.dumps(
        {
            "submission_id": "small",
            "organisation": "00B",
            "audience": "staff",
            "answers": uniform(world.q, "agree", comment=None),
        }
    )
    reply = _chunked(api, url, small.encode(), "application/json", world.headers("write"))
    assert reply.status_code == 201


def test_a_chunked_form_over_the_limit_is_413(app, client, db) -> None:
    _survey(db)
    browser = _browser(app)
    body = f"csrf_token={CSRF}&x={'y' * 80 * 1024}".encode()
    answer = _chunked(browser, "/s/c/A01/staff", body, "application/x-www-form-urlencoded")
    assert answer.status_code == 413
    small = _chunked(
        browser,
        "/s/c/A01/staff",
        f"csrf_token={CSRF}".encode(),
        "application/x-www-form-urlencoded",
    )
    assert small.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


# ------------------------------------------------------------------ 9. HEAD


def test_head_on_survey_forms_is_200(app, client, db) -> None:
    campaign, q = _survey(db)
    browser = _browser(app)
    token = _post(browser, "/s/c/A01/staff").headers["Location"].split("/")[2]
    raw = invitations.create_invitations(campaign, "A01", "staff", 1)[0]
    db.session.commit()
    for path in ("/s/c/A01/staff", f"/i/{raw}", f"/r/{token}/1", f"/r/{token}/review", "/login"):
        answer = client.head(path)
        assert answer.status_code == 200, path
        assert answer.get_data() == b""
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


# ------------------------------------------------------------------ 10. idle in progress


def _age(response_id: str, days: int) -> None:
    row = db.session.scalar(select(Response).where(Response.id == response_id))
    row.updated_at = utcnow() - timedelta(days=days)
    db.session.commit()


def test_purge_idle_deletes_abandoned_answers_after_30_days(app, db, runner) -> None:
    _, q = _survey(db)
    browsers = [_browser(app) for _ in range(3)]
    tokens = [_post(b, "/s/c/A01/staff").headers["Location"].split("/")[2] for b in browsers]
    for browser, token in zip(browsers, tokens, strict=True):
        _post(browser, f"/r/{token}/1", {**_first_page(q), "action": "save"})
    ids = list(db.session.scalars(select(Response.id).order_by(Response.seq)))
    _age(ids[0], 31)
    _age(ids[1], 29)
    _post(browsers[2], f"/r/{tokens[2]}/1", {**_first_page(q), "action": "continue"})
    assert _post(browsers[2], f"/r/{tokens[2]}/review").status_code == 302
    _age(db.session.scalar(select(Response.id).where(Response.status == "submitted")), 400)

    result = runner.invoke(args=["responses", "purge-idle"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 in-progress responses idle for 30 days" in result.output
    db.session.expire_all()
    left = dict(db.session.execute(select(Response.id, Response.status)).all())
    assert left == {ids[1]: "in_progress", ids[2]: "submitted"}
    assert browsers[0].get(f"/r/{tokens[0]}/1").status_code == 404


def test_an_idle_response_cannot_be_resumed_even_before_the_purge(app, db, runner) -> None:
    _, q = _survey(db)
    browser = _browser(app)
    token = _post(browser, "/s/c/A01/staff").headers["Location"].split("/")[2]
    _post(browser, f"/r/{token}/1", {**_first_page(q), "comments": "x", "action": "save"})
    _age(db.session.scalar(select(Response.id)), 30)
    assert browser.get(f"/r/{token}/1").status_code == 404
    assert _post(browser, f"/r/{token}/review").status_code == 404
    assert runner.invoke(args=["responses", "purge-idle"]).exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_dates_are_utc_midnights(db) -> None:
    from assessor.responses.submission import today_utc

    today = today_utc()
    assert today.tzinfo is not None and today.utcoffset() == timedelta(0)
    assert today.date() == datetime.now(UTC).date() and _is_midnight(today)
