"""A corpus of hostile and broken input across the API, the survey pages and the sign-in
form. Every case is refused with a 4xx and a clear message, and no table gains or loses a
row; none may answer 5xx, on SQLite or PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from assessor.auth.passwords import create_user
from assessor.auth.tokens import create_token, revoke
from assessor.extensions import db
from assessor.models import AuditEvent, Base, utcnow
from assessor.web import paging
from assessor.web.crypto import seal
from tests.conftest import RequestPerContextClient
from tests.fixtures.api import OPEN, uniform
from tests.support.factories import add_orgs, make_campaign

CSRF = "corpus-csrf-token"
SUBMIT = f"/api/v1/campaigns/{OPEN}/responses"
SQL = "' OR '1'='1'; DROP TABLE response; --"
SCRIPT = '<script>alert("x")</script>'


@dataclass
class Case:
    name: str
    method: str
    path: str
    statuses: tuple[int, ...]
    message: str  # a phrase the refusal must contain
    kwargs: dict[str, Any] = field(default_factory=dict)
    token: str | None = "write"  # which of the world's tokens to send, if any


def _row_counts() -> dict[str, int]:
    """Rows per table, leaving out the audit records of refused sign-ins (kept on purpose)."""
    db.session.expire_all()
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }
    failed = select(func.count()).where(AuditEvent.action == "auth.sign_in_failed")
    counts["audit_event"] -= db.session.scalar(failed)
    return counts


def _run(client: FlaskClient, cases: list[Case], headers: Callable[[str | None], dict]) -> None:
    failures = []
    for case in cases:
        before = _row_counts()
        kwargs = dict(case.kwargs)
        kwargs["headers"] = {**headers(case.token), **kwargs.get("headers", {})}
        answer = client.open(case.path, method=case.method, **kwargs)
        text = answer.get_data(as_text=True)
        problems = []
        if answer.status_code not in case.statuses:
            problems.append(f"status {answer.status_code}, wanted {case.statuses}")
        if case.message.lower() not in text.lower():
            problems.append(f"no {case.message!r} in {text[:300]!r}")
        if case.path.startswith("/api/") and answer.mimetype != "application/problem+json":
            problems.append(f"mimetype {answer.mimetype}")
        if SCRIPT in text:
            problems.append("script echoed unescaped")
        if "Traceback" in text:
            problems.append("stack trace")
        after = _row_counts()
        if after != before:
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            problems.append(f"rows changed {changed}")
        if problems:
            failures.append(f"{case.name}: {'; '.join(problems)}")
    assert failures == [], "\n".join(failures)


def _body(world, **changes: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = {
        "submission_id": "corpus",
        "organisation": "00B",
        "audience": "staff",
        "answers": uniform(world.q, "agree", comment=None),
    }
    body.update(changes)
    return body


def _answers(world, **changes: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {**uniform(world.q, "agree", comment=None), **changes}


def _json(world, **changes: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {"json": _body(world, **changes)}


def _raw(data: bytes) -> dict[str, Any]:
    return {"data": data, "content_type": "application/json"}


def api_cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    item = world.q.scored_items[0].link_id
    valid = _body(world)
    deep = b"[" * 20000 + b"]" * 20000
    nested: Any = "agree"
    for _ in range(60):
        nested = {"x": nested}
    cases = [
        Case("malformed JSON", "POST", SUBMIT, (400,), "not valid JSON", _raw(b'{"a": ')),
        Case("trailing garbage", "POST", SUBMIT, (400,), "not valid JSON", _raw(b"{} {}")),
        Case("NaN literal", "POST", SUBMIT, (400, 422), "valid", _raw(b'{"a": NaN}')),
        Case("a JSON array", "POST", SUBMIT, (422,), "not valid", _raw(b"[1, 2]")),
        Case("a JSON string", "POST", SUBMIT, (422,), "not valid", _raw(b'"hello"')),
        Case("JSON null", "POST", SUBMIT, (422,), "not valid", _raw(b"null")),
        Case("empty body", "POST", SUBMIT, (422,), "not valid", _raw(b"")),
        Case("missing fields", "POST", SUBMIT, (422,), "required", {"json": {}}),
        Case(
            "submission_id a number",
            "POST",
            SUBMIT,
            (422,),
            "submission_id",
            _json(world, submission_id=7),
        ),
        Case(
            "submission_id too long",
            "POST",
            SUBMIT,
            (422,),
            "submission_id",
            _json(world, submission_id="x" * 101),
        ),
        Case(
            "organisation a list",
            "POST",
            SUBMIT,
            (422,),
            "organisation",
            _json(world, organisation=["00A"]),
        ),
        Case(
            "unknown organisation",
            "POST",
            SUBMIT,
            (422,),
            "not an organisation",
            _json(world, organisation="ZZZ"),
        ),
        Case(
            "unknown audience", "POST", SUBMIT, (422,), "audience", _json(world, audience="board")
        ),
        Case("answers a list", "POST", SUBMIT, (422,), "answers", _json(world, answers=["agree"])),
        Case(
            "an answer a number",
            "POST",
            SUBMIT,
            (422,),
            "must be a string",
            _json(world, answers=_answers(world, **{item: 3})),
        ),
        Case(
            "an answer an object",
            "POST",
            SUBMIT,
            (422,),
            "must be a string",
            _json(world, answers=_answers(world, **{item: {"a": 1}})),
        ),
        Case(
            "an answer deeply nested",
            "POST",
            SUBMIT,
            (422,),
            "must be a string",
            _json(world, answers=_answers(world, **{item: nested})),
        ),
        Case(
            "unknown item",
            "POST",
            SUBMIT,
            (422,),
            "not an item",
            _json(world, answers=_answers(world, **{"gov-99": "agree"})),
        ),
        Case(
            "hidden item",
            "POST",
            SUBMIT,
            (422,),
            "is not asked",
            _json(world, answers=_answers(world, **{"gov-attend-barriers": "too far"})),
        ),
        Case(
            "option not on the scale",
            "POST",
            SUBMIT,
            (422,),
            "is not an option",
            _json(world, answers=_answers(world, **{item: "maybe"})),
        ),
        Case(
            "a number as option",
            "POST",
            SUBMIT,
            (422,),
            "is not an option",
            _json(world, answers=_answers(world, **{item: "5"})),
        ),
        Case(
            "option in other case",
            "POST",
            SUBMIT,
            (422,),
            "is not an option",
            _json(world, answers=_answers(world, **{item: "AGREE"})),
        ),
        Case(
            "an answer null",
            "POST",
            SUBMIT,
            (422,),
            "must be a string",
            _json(world, answers=_answers(world, **{item: None})),
        ),
        Case(
            "free text too long",
            "POST",
            SUBMIT,
            (422,),
            "longer than 5000",
            _json(world, answers=_answers(world, comments="x" * 5001)),
        ),
        Case(
            "body over 64 KiB",
            "POST",
            SUBMIT,
            (413,),
            "Too Large",
            _json(world, padding="x" * 70_000),
        ),
        Case(
            "chunked body over 64 KiB",
            "POST",
            SUBMIT,
            (413,),
            "Too Large",
            {
                "data": json.dumps(_body(world, padding="x" * 70_000)).encode(),
                "content_type": "application/json",
                "environ_overrides": {
                    "wsgi.input_terminated": True,
                    "HTTP_TRANSFER_ENCODING": "chunked",
                },
            },
        ),
        Case("deeply nested body", "POST", SUBMIT, (400,), "not valid JSON", _raw(deep)),
        Case(
            "invalid UTF-8",
            "POST",
            SUBMIT,
            (400,),
            "not valid JSON",
            _raw(b'{"submission_id": "\xff\xfe"}'),
        ),
        Case(
            "lone surrogate escape",
            "POST",
            SUBMIT,
            (400, 422),
            "valid",
            _raw(b'{"submission_id": "\\ud800", "organisation": 1}'),
        ),
        Case("NUL in a value", "POST", SUBMIT, (400,), "NUL", _json(world, submission_id="a\x00b")),
        Case(
            "NUL in a key",
            "POST",
            SUBMIT,
            (400,),
            "NUL",
            _json(world, answers=_answers(world, **{"gov\x00": "agree"})),
        ),
        Case(
            "SQL in submission_id",
            "POST",
            SUBMIT,
            (422,),
            "not an organisation",
            _json(world, submission_id=SQL, organisation="ZZZ"),
        ),
        Case(
            "SQL in organisation",
            "POST",
            SUBMIT,
            (422,),
            "not an organisation",
            _json(world, organisation=SQL),
        ),
        Case("SQL in audience", "POST", SUBMIT, (422,), "audience", _json(world, audience=SQL)),
        Case(
            "SQL in a link_id",
            "POST",
            SUBMIT,
            (422,),
            "not an item",
            _json(world, answers=_answers(world, **{SQL: "agree"})),
        ),
        Case(
            "SQL as an option",
            "POST",
            SUBMIT,
            (422,),
            "is not an option",
            _json(world, answers=_answers(world, **{item: SQL})),
        ),
        Case(
            "script in free text, bad organisation",
            "POST",
            SUBMIT,
            (422,),
            "not an organis",
            _json(world, organisation="ZZZ", answers=_answers(world, comments=SCRIPT)),
        ),
        Case(
            "script in organisation",
            "POST",
            SUBMIT,
            (422,),
            "not an organisation",
            _json(world, organisation=SCRIPT),
        ),
        Case(
            "script as option",
            "POST",
            SUBMIT,
            (422,),
            "is not an option",
            _json(world, answers=_answers(world, **{item: SCRIPT})),
        ),
        Case(
            "script in submission_id, bad audience",
            "POST",
            SUBMIT,
            (422,),
            "audience",
            _json(world, submission_id=SCRIPT, audience="x"),
        ),
        Case(
            "SQL in the campaign slug",
            "POST",
            f"/api/v1/campaigns/{quote(SQL)}/responses",
            (404,),
            "not found",
            {"json": valid},
        ),
        Case(
            "script in the campaign slug",
            "GET",
            f"/api/v1/campaigns/{quote(SCRIPT)}",
            (404,),
            "not found",
            token="admin",
        ),
        Case(
            "SQL in an organisation code",
            "GET",
            f"/api/v1/campaigns/{OPEN}/results/{quote(SQL)}",
            (404,),
            "found",
            token="admin",
        ),
        Case(
            "SQL in a response id",
            "GET",
            f"/api/v1/campaigns/{OPEN}/responses/{quote(SQL)}/fhir",
            (404,),
            "no submitted",
            token="read",
        ),
        Case(
            "SQL in a questionnaire key",
            "GET",
            f"/api/v1/questionnaires/{quote(SQL)}/2",
            (404,),
            "found",
            token="results",
        ),
        Case(
            "a version that is not a number",
            "GET",
            "/api/v1/questionnaires/engagement-maturity/two",
            (404,),
            "found",
            token="results",
        ),
        Case(
            "NUL in the path", "GET", f"/api/v1/campaigns/{OPEN}%00", (404,), "found", token="admin"
        ),
        Case(
            "invalid UTF-8 in the path",
            "GET",
            "/api/v1/campaigns/%ff%fe",
            (404,),
            "found",
            token="admin",
        ),
        Case(
            "NUL in the query",
            "GET",
            "/api/v1/campaigns?limit=1%00",
            (422,),
            "NUL",
            token="results",
        ),
        Case("limit zero", "GET", "/api/v1/campaigns?limit=0", (422,), "limit", token="results"),
        Case(
            "limit huge", "GET", "/api/v1/campaigns?limit=100000", (422,), "limit", token="results"
        ),
        Case(
            "limit not a number",
            "GET",
            f"/api/v1/campaigns?limit={quote(SQL)}",
            (422,),
            "limit",
            token="results",
        ),
        Case("unknown filter", "GET", f"{SUBMIT}?since=2026-01-01", (422,), "since", token="read"),
        Case(
            "updated_since with a time",
            "GET",
            f"{SUBMIT}?updated_since=2026-01-01T10:00",
            (422,),
            "updated_since",
            token="read",
        ),
        Case(
            "SQL in updated_since",
            "GET",
            f"{SUBMIT}?updated_since={quote(SQL)}",
            (422,),
            "updated_since",
            token="read",
        ),
        Case(
            "script in an audience filter",
            "GET",
            f"/api/v1/campaigns/{OPEN}/results?audience={quote(SCRIPT)}",
            (422,),
            "audience",
            token="admin",
        ),
        Case("no token", "POST", SUBMIT, (401,), "Bearer", {"json": valid}, token=None),
        Case(
            "a forged token",
            "POST",
            SUBMIT,
            (401,),
            "unknown, revoked or expired",
            {"json": valid},
            token="forged",
        ),
        Case(
            "an expired token",
            "POST",
            SUBMIT,
            (401,),
            "unknown, revoked or expired",
            {"json": valid},
            token="expired",
        ),
        Case(
            "a revoked token",
            "POST",
            SUBMIT,
            (401,),
            "unknown, revoked or expired",
            {"json": valid},
            token="revoked",
        ),
        Case(
            "SQL as the token",
            "POST",
            SUBMIT,
            (401,),
            "unknown, revoked or expired",
            {"json": valid},
            token="sql",
        ),
        Case(
            "Basic instead of Bearer",
            "POST",
            SUBMIT,
            (401,),
            "Bearer",
            {"json": valid, "headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
            token=None,
        ),
        Case("the wrong scope", "POST", SUBMIT, (403,), "scope", {"json": valid}, token="read"),
        Case(
            "a resend with another body",
            "POST",
            SUBMIT,
            (409,),
            "different body",
            _json(world, submission_id="already", audience="patient_leader"),
        ),
        Case("a method not allowed", "PUT", SUBMIT, (405,), "not allowed", {"json": valid}),
        Case(
            "a forged cursor",
            "GET",
            f"{SUBMIT}?cursor=" + seal("guess", "assessor.web.api.cursor", {"p": 1, "a": 0}),
            (400,),
            "cursor",
            token="read",
        ),
        Case(
            "a cursor of base64 JSON",
            "GET",
            f"{SUBMIT}?cursor=eyJwIjogMSwgImEiOiAwfQ",
            (400,),
            "cursor",
            token="read",
        ),
        Case(
            "SQL as a cursor",
            "GET",
            f"{SUBMIT}?cursor={quote(SQL)}",
            (400,),
            "cursor",
            token="read",
        ),
    ]
    return cases


@pytest.fixture()
def tokens(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    expired_token, expired = create_token("expired", ["responses:write"], None)
    expired_token.expires_at = utcnow() - timedelta(minutes=1)
    revoked_token, revoked = create_token("revoked", ["responses:write"], None)
    revoke(revoked_token)
    db.session.commit()
    return {
        **world.tokens,
        "forged": "x" * 43,
        "expired": expired,
        "revoked": revoked,
        "sql": SQL,
    }


def test_api_refuses_every_bad_input_and_stores_nothing(api, world, tokens) -> None:
    stored = api.post(
        SUBMIT, json=_body(world, submission_id="already"), headers=world.headers("write")
    )
    assert stored.status_code == 201
    cases = api_cases(world)

    def headers(name: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"} if name else {}

    _run(api, cases, headers)
    assert len(cases) >= 60


def test_stale_and_foreign_cursors_are_refused(api, world, monkeypatch) -> None:
    read = world.headers("read")
    first = api.get(f"{SUBMIT}?limit=2", headers=read).get_json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    later = time.time() + paging.CURSOR_MAX_AGE_SECONDS + 1
    cases = [
        Case(
            "a cursor for another list",
            "GET",
            f"/api/v1/campaigns?cursor={cursor}",
            (400,),
            "cursor",
            token="results",
        ),
        Case(
            "a cursor with other filters",
            "GET",
            f"{SUBMIT}?limit=2&updated_since={date.today()}&cursor={cursor}",
            (400,),
            "cursor",
            token="read",
        ),
    ]
    _run(api, cases, lambda name: world.headers(name) if name else {})
    monkeypatch.setattr(paging.time, "time", lambda: later)
    expired = [Case("an expired cursor", "GET", first["next"], (400,), "cursor", token="read")]
    _run(api, expired, lambda name: world.headers(name) if name else {})


# --------------------------------------------------------------------------- survey pages


@pytest.fixture()
def survey(app, db):  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"))
    make_campaign("c")
    db.session.commit()
    browser = RequestPerContextClient(app, app.response_class, use_cookies=True)
    with browser.session_transaction() as s:
        s["csrf_token"] = CSRF
    started = browser.post("/s/c/A01/staff", data={"csrf_token": CSRF})
    token = started.headers["Location"].split("/")[2]
    return browser, token


def _form(data: dict[str, str], csrf: str | None = CSRF) -> dict[str, Any]:
    return {"data": {**({"csrf_token": csrf} if csrf is not None else {}), **data}}


def test_survey_pages_refuse_every_bad_input_and_store_nothing(survey, db) -> None:
    browser, token = survey
    page1 = f"/r/{token}/1"
    page7 = f"/r/{token}/7"
    item = "gov-1"
    not_listed = "Choose one of the answers listed"
    cases = [
        Case("start without CSRF", "POST", "/s/c/A01/staff", (400,), "expired", _form({}, None)),
        Case(
            "start with a forged CSRF",
            "POST",
            "/s/c/A01/staff",
            (400,),
            "expired",
            _form({}, "forged"),
        ),
        Case("page without CSRF", "POST", page1, (400,), "expired", _form({item: "agree"}, None)),
        Case(
            "review without CSRF", "POST", f"/r/{token}/review", (400,), "expired", _form({}, None)
        ),
        Case("option not on the scale", "POST", page1, (400,), not_listed, _form({item: "maybe"})),
        Case("option in other case", "POST", page1, (400,), not_listed, _form({item: "Agree"})),
        Case("SQL as an option", "POST", page1, (400,), not_listed, _form({item: SQL})),
        Case("script as an option", "POST", page1, (400,), not_listed, _form({item: SCRIPT})),
        Case(
            "invalid UTF-8 as an option",
            "POST",
            page1,
            (400,),
            not_listed,
            {
                "data": b"csrf_token=" + CSRF.encode() + b"&gov-1=%ff%fe",
                "content_type": "application/x-www-form-urlencoded",
            },
        ),
        Case(
            "an item from another page",
            "POST",
            page1,
            (400,),
            "not on this page",
            _form({"ins-1": "agree"}),
        ),
        Case(
            "an unknown item", "POST", page1, (400,), "not on this page", _form({"gov-99": "agree"})
        ),
        Case(
            "a hidden follow-up",
            "POST",
            page7,
            (400,),
            "not on this page",
            _form({"gov-attend-barriers": "too far"}),
        ),
        Case(
            "SQL as a field name", "POST", page1, (400,), "not on this page", _form({SQL: "agree"})
        ),
        Case(
            "free text too long",
            "POST",
            page7,
            (400,),
            "5,000 characters",
            _form({"comments": "x" * 5001}),
        ),
        Case(
            "NUL in free text", "POST", page7, (400,), "not allowed", _form({"comments": "a\x00b"})
        ),
        Case(
            "NUL in a field name",
            "POST",
            page1,
            (400,),
            "not allowed",
            _form({"gov-1\x00": "agree"}),
        ),
        Case(
            "a form over 64 KiB",
            "POST",
            page7,
            (413,),
            "Too Large",
            _form({"comments": "x" * 70_000}),
        ),
        Case("SQL as a resume token", "GET", f"/r/{quote(SQL)}/1", (404,), "not valid"),
        Case("script as a resume token", "GET", f"/r/{quote(SCRIPT)}/1", (404,), "not found"),
        Case("a page that does not exist", "GET", f"/r/{token}/99", (404,), "not found"),
        Case("a negative page", "GET", f"/r/{token}/-1", (404,), "not found"),
        Case("NUL in a resume token", "GET", f"/r/{token}%00/1", (404,), "not found"),
        Case("SQL as an invitation", "GET", f"/i/{quote(SQL)}", (404,), "not valid"),
        Case(
            "script as an invitation", "POST", f"/i/{quote(SCRIPT)}", (404,), "not found", _form({})
        ),
        Case("SQL as an organisation", "GET", f"/s/c/{quote(SQL)}/staff", (404,), "not found"),
        Case("script as an audience", "GET", f"/s/c/A01/{quote(SCRIPT)}", (404,), "not found"),
        Case(
            "SQL as a campaign",
            "POST",
            f"/s/{quote(SQL)}/A01/staff",
            (404,),
            "not found",
            _form({}),
        ),
        Case("NUL in a published result path", "GET", "/results/c/%00", (404,), "not found"),
        Case(
            "SQL in a published result path", "GET", f"/results/c/{quote(SQL)}", (404,), "not found"
        ),
    ]
    _run(browser, cases, lambda name: {})


# --------------------------------------------------------------------------- sign-in


def test_sign_in_refuses_every_bad_input(app, db) -> None:
    create_user("board@example.nhs.uk", "viewer", "a long enough password")
    db.session.commit()
    browser = RequestPerContextClient(app, app.response_class, use_cookies=True)
    with browser.session_transaction() as s:
        s["csrf_token"] = CSRF
    wrong = "Enter a correct email address and password"

    def attempt(email: str, password: str = "not the password", **extra: str) -> dict:
        return _form({"email": email, "password": password, **extra})

    cases = [
        Case(
            "no CSRF token",
            "POST",
            "/login",
            (400,),
            "expired",
            _form({"email": "board@example.nhs.uk", "password": "x"}, None),
        ),
        Case(
            "a forged CSRF token",
            "POST",
            "/login",
            (400,),
            "expired",
            _form({"email": "board@example.nhs.uk", "password": "x"}, "forged"),
        ),
        Case("empty fields", "POST", "/login", (400,), "Enter your email address", attempt("", "")),
        Case("a wrong password", "POST", "/login", (400,), wrong, attempt("board@example.nhs.uk")),
        Case("SQL as the address", "POST", "/login", (400,), wrong, attempt(SQL)),
        Case(
            "SQL as the password",
            "POST",
            "/login",
            (400,),
            wrong,
            attempt("board@example.nhs.uk", SQL),
        ),
        Case("script as the address", "POST", "/login", (400,), wrong, attempt(SCRIPT)),
        Case(
            "a 10,000 character address",
            "POST",
            "/login",
            (400,),
            wrong,
            attempt("a" * 10_000 + "@example.nhs.uk"),
        ),
        Case(
            "NUL in the address",
            "POST",
            "/login",
            (400,),
            "not allowed",
            attempt("board@example.nhs.uk\x00"),
        ),
        Case(
            "an address as a list",
            "POST",
            "/login",
            (400,),
            wrong,
            {
                "data": MultiDict(
                    [("csrf_token", CSRF), ("email", "x@y.z"), ("email", SQL), ("password", "p")]
                )
            },
        ),
        Case(
            "an outside next, wrong password",
            "POST",
            "/login?next=//evil.example",
            (400,),
            wrong,
            attempt("board@example.nhs.uk"),
        ),
        Case(
            "a JSON body",
            "POST",
            "/login",
            (400,),
            "expired",
            {"json": {"email": "board@example.nhs.uk", "password": "x"}},
        ),
    ]
    _run(browser, cases, lambda name: {})
    assert browser.get("/dashboards/").status_code == 302


def test_the_corpus_has_at_least_60_cases(world) -> None:
    assert len(api_cases(world)) >= 60
