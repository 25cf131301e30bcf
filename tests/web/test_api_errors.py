"""Every API error is application/problem+json: never HTML, never a stack trace."""

from __future__ import annotations

import pytest

from assessor.extensions import db
from assessor.models import Response
from tests.fixtures.api import CLOSED, OPEN

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "<html" not in text.lower()
    return body


def test_unknown_route_under_api_is_a_problem(api, world):
    assert_problem(api.get("/api/v1/nothing-here", headers=world.headers("admin")), 404)
    assert_problem(api.get("/api/v2/campaigns"), 404)


def test_unknown_things_are_404_problems(api, world):
    headers = world.headers("admin")
    for path in (
        "/api/v1/campaigns/no-such",
        "/api/v1/campaigns/no-such/results",
        "/api/v1/campaigns/no-such/results.csv",
        "/api/v1/campaigns/no-such/results.xlsx",
        "/api/v1/campaigns/no-such/results.ods",
        "/api/v1/campaigns/no-such/benchmarks",
        "/api/v1/campaigns/no-such/responses",
        f"/api/v1/campaigns/{CLOSED}/responses/0123/fhir",
        "/api/v1/questionnaires/engagement-maturity/9",
        "/api/v1/questionnaires/engagement-maturity/9/fhir",
    ):
        assert_problem(api.get(path, headers=headers), 404)


def test_wrong_method_is_405_with_allow(api, world):
    response = api.delete(f"/api/v1/campaigns/{CLOSED}", headers=world.headers("admin"))
    body = assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]
    assert body["title"] == "Method Not Allowed"


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=many", "limit"),
        ("audience=everyone", "audience"),
    ],
)
def test_query_validation_is_a_422_problem_with_field_paths(api, world, query, path):
    response = api.get(
        f"/api/v1/campaigns/{CLOSED}/results?{query}", headers=world.headers("results")
    )
    body = assert_problem(response, 422)
    assert list(body["errors"]) == [path]
    assert all(isinstance(m, str) for m in body["errors"][path])


def test_unknown_query_arguments_are_refused(api, world):
    response = api.get("/api/v1/campaigns?colour=blue", headers=world.headers("results"))
    assert assert_problem(response, 422)["errors"] == {"colour": ["Unknown field."]}


def test_bad_benchmark_grouping_and_export_date(api, world):
    headers = world.headers("admin")
    body = assert_problem(
        api.get(f"/api/v1/campaigns/{CLOSED}/benchmarks?group_by=planet", headers=headers), 422
    )
    assert list(body["errors"]) == ["group_by"]
    body = assert_problem(
        api.get(f"/api/v1/campaigns/{CLOSED}/responses?updated_since=yesterday", headers=headers),
        422,
    )
    assert list(body["errors"]) == ["updated_since"]


def test_oversized_body_is_413_before_the_token_is_checked(api, world):
    big = b'{"answers": "' + b"x" * (64 * 1024) + b'"}'
    for headers in ({}, world.headers("results"), world.headers("write")):
        response = api.post(
            f"/api/v1/campaigns/{OPEN}/responses",
            data=big,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert_problem(response, 413)
    assert db.session.query(Response).filter_by(submission_id=None).count() > 0
    assert db.session.query(Response).filter(Response.submission_id.is_not(None)).count() == 0


def test_pages_outside_the_api_keep_their_own_errors(api, world):
    response = api.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype != PROBLEM


def test_nul_characters_are_refused_before_reaching_the_database(api, world):
    headers = world.headers("admin")
    assert_problem(api.get("/api/v1/campaigns/a%00b", headers=headers), 404)
    body = assert_problem(
        api.get(f"/api/v1/campaigns/{CLOSED}/results?region=Lon%00don", headers=headers), 422
    )
    assert body["errors"] == {"region": ["NUL characters are not allowed."]}
