"""POST /campaigns/{slug}/responses: checks in api.md's order, replays, conflicts, races,
and nothing stored by a refused request."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from flask import Flask

from assessor.extensions import db
from assessor.models import ApiToken, Organisation, Response, utcnow
from assessor.questionnaires.definition import canonical_digest
from assessor.responses import submission as service
from tests.fixtures.api import CLOSED, OPEN, make_campaign, uniform
from tests.support.factories import submitted_yesterday

URL = f"/api/v1/campaigns/{OPEN}/responses"


def body(world, submission_id="sub-1", **changes):  # type: ignore[no-untyped-def]
    data = {
        "submission_id": submission_id,
        "organisation": "00B",
        "audience": "patient_leader",
        "answers": uniform(world.q, "agree"),
    }
    data.update(changes)
    return data


def stored() -> int:
    db.session.expire_all()
    return db.session.query(Response).count()


def post(api, world, data, token="write", url=URL):  # type: ignore[no-untyped-def]
    raw = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return api.post(
        url, data=raw, headers={**world.headers(token), "Content-Type": "application/json"}
    )


def problem_of(response, status):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_a_valid_response_is_stored_and_scored(api, world):
    submitted_yesterday(world.open)
    db.session.commit()
    before = stored()
    response = post(api, world, body(world))
    assert response.status_code == 201
    result = response.get_json()
    # Every scored item "agree": 0.75 on every rung, all five rungs met, s = 5.
    assert result["scores"]["overall"] == pytest.approx(5.0)
    assert result["scores"]["domains"] == {key: 5.0 for key in world.q.domain_keys}
    assert stored() == before + 1
    row = db.session.query(Response).filter_by(id=result["id"]).one()
    assert row.submission_id == "sub-1" and row.status == "submitted"
    assert row.org_code == "00B" and row.audience == "patient_leader"
    assert row.answers["comments"]  # free text is kept, though never exported
    detail = api.get(f"/api/v1/campaigns/{OPEN}", headers=world.headers("admin")).get_json()
    assert detail["response_counts"] == {"staff": 3, "patient_leader": 4}
    # Anyone else reads the counts as at the end of yesterday: today's answer is not in it.
    detail = api.get(f"/api/v1/campaigns/{OPEN}", headers=world.headers("results")).get_json()
    assert detail["response_counts"] == {"staff": 3, "patient_leader": 3}
    assert detail["response_counts_as_of"] == (utcnow().date() - timedelta(days=1)).isoformat()


def test_a_resend_of_the_same_json_is_200_with_the_same_id(api, world):
    data = body(world)
    first = post(api, world, data)
    assert first.status_code == 201
    count = stored()
    reordered = json.dumps(dict(reversed(list(data.items()))), indent=3)
    again = post(api, world, reordered)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert stored() == count


def test_the_same_submission_id_with_another_body_is_409(api, world):
    assert post(api, world, body(world)).status_code == 201
    count = stored()
    other = body(world, answers=uniform(world.q, "neutral"))
    assert "submission_id" in problem_of(post(api, world, other), 409)["detail"]
    assert stored() == count
    # The same id in another campaign is another submission.
    make_campaign("2026-pilot", "open")
    db.session.commit()
    assert post(api, world, other, url="/api/v1/campaigns/2026-pilot/responses").status_code == 201


def test_checks_run_in_the_documented_order(api, world, make_token):
    count = stored()
    invalid = body(world, audience="board", answers={"gov-3": "maybe"})
    big = json.dumps(body(world, answers={"comments": "x" * 70_000}))
    nobody = "/api/v1/campaigns/nowhere/responses"
    # 413 before the token
    assert api.post(nobody, data=big, content_type="application/json").status_code == 413
    # the token before the campaign
    assert api.post(nobody, json=invalid).status_code == 401
    assert post(api, world, invalid, token="results", url=nobody).status_code == 403
    # the campaign before the body
    problem_of(post(api, world, invalid, url=nobody), 404)
    # the closed campaign before the body
    closed = f"/api/v1/campaigns/{CLOSED}/responses"
    assert "closed" in problem_of(post(api, world, invalid, url=closed), 409)["detail"]
    problem_of(post(api, world, "{not json", url=closed), 409)
    # a scheduled campaign is not open either
    scheduled = make_campaign("2027-assessment", "open")
    scheduled.opens_at = utcnow() + timedelta(days=1)
    db.session.commit()
    problem_of(
        post(api, world, body(world), url="/api/v1/campaigns/2027-assessment/responses"), 409
    )
    # then the body
    errors = problem_of(post(api, world, invalid), 422)["errors"]
    assert errors["answers.gov-3"] == ["'maybe' is not an option of gov-3"]
    assert "audience" in errors
    assert "not valid JSON" in problem_of(post(api, world, "{not json"), 400)["detail"]
    problem_of(post(api, world, body(world, submission_id="nul\u0000")), 400)
    assert stored() == count


def test_a_resend_is_answered_even_after_the_campaign_closed(api, world):
    first = post(api, world, body(world)).get_json()
    world.open.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert post(api, world, body(world)).get_json() == first
    problem_of(post(api, world, body(world, answers={"gov-1": "agree"})), 409)
    problem_of(post(api, world, body(world, submission_id="new")), 409)


def _outside_org() -> None:
    db.session.add(
        Organisation(
            code="00E",
            name="NHS 00E",
            kind="sub_icb",
            region="London",
            peer_group="urban",
            closed=False,
        )  # fmt: skip
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"answers": {"gov-3": "maybe"}}, {"answers.gov-3": ["'maybe' is not an option of gov-3"]}),
        ({"answers": {"gov-99": "agree"}}, {"answers.gov-99": ["'gov-99' is not an item of this questionnaire"]}),  # noqa: E501
        ({"answers": {"gov-1": 3}}, {"answers.gov-1": ["the answer to gov-1 must be a string"]}),
        ({"answers": {"gov-attend": "every_meeting", "gov-attend-barriers": "no time"}},
         {"answers.gov-attend-barriers": ["gov-attend-barriers is not asked given the answer to gov-attend"]}),  # noqa: E501
        ({"organisation": "ZZZ"}, {"organisation": ["'ZZZ' is not an organisation in this campaign"]}),  # noqa: E501
        ({"organisation": "00E"}, {"organisation": ["'00E' is not an organisation in this campaign"]}),  # noqa: E501
        ({"audience": "board"}, {"audience": ["Must be one of: staff, patient_leader."]}),
        ({"answers": ["agree"]}, {"answers": ["Not a valid mapping type."]}),
        ({"colour": "blue"}, {"colour": ["Unknown field."]}),
        ({"submission_id": ""}, {"submission_id": ["Length must be between 1 and 100."]}),
        ({"organisation": None}, {"organisation": ["Field may not be null."]}),
    ],
)  # fmt: skip
def test_invalid_responses_are_422_with_field_paths(api, world, changes, expected):
    _outside_org()
    count = stored()
    errors = problem_of(post(api, world, body(world, **changes)), 422)["errors"]
    for path, messages in expected.items():
        assert errors[path] == messages
    assert set(errors) == set(expected)
    assert stored() == count


def test_a_body_that_is_not_a_response_object(api, world):
    count = stored()
    assert problem_of(post(api, world, "[1, 2]"), 422)["errors"] == {
        "_schema": ["Invalid input type."]
    }
    missing = problem_of(post(api, world, "{}"), 422)["errors"]
    assert set(missing) == {"submission_id", "organisation", "audience", "answers"}
    assert problem_of(post(api, world, ""), 422)["errors"]["answers"]
    deep = "[" * 100_00 + "]" * 100_00
    assert post(api, world, deep).status_code in (400, 422)
    assert stored() == count


def test_a_lost_race_is_answered_as_the_resend_it_is(api, world, monkeypatch):
    """A new submission is inserted without a look-up first: when its submission_id is
    stored already (a resend, or another request won the race), the unique constraint
    keeps one response, and this request answers 200 with that response's id."""
    winner = service.submit(
        world.open, "00B", "patient_leader", body(world)["answers"],
        submission_id="sub-1", body_digest=canonical_digest(body(world)),
    )  # fmt: skip
    db.session.commit()
    real = service.find_by_submission_id
    calls = []

    def counted(campaign, submission_id):  # type: ignore[no-untyped-def]
        calls.append(submission_id)
        return real(campaign, submission_id)

    monkeypatch.setattr(service, "find_by_submission_id", counted)
    count = stored()
    response = post(api, world, body(world))
    assert response.status_code == 200
    assert response.get_json()["id"] == winner.id
    assert calls == ["sub-1"] and stored() == count  # looked up once, after the insert failed
    monkeypatch.undo()
    problem_of(post(api, world, body(world, answers={"gov-1": "agree"})), 409)


@pytest.mark.real_commits
def test_identical_submissions_racing_end_as_one_response(app: Flask, api, world, monkeypatch):
    threads_n = 4
    barrier = threading.Barrier(threads_n, timeout=20)
    local = threading.local()
    real = service.submit

    def submit_together(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()  # every request has validated and is about to insert
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "submit", submit_together)
    # A token's last_used_at is written at most once a minute: make it fresh, so that no
    # request of the race writes it (and holds the lock the barrier would wait on).
    for token in db.session.query(ApiToken):
        token.last_used_at = utcnow()
    db.session.commit()
    payload = json.dumps(body(world, submission_id="raced"))
    results: list[tuple[int, dict]] = []

    def send() -> None:
        response = app.test_client().post(
            URL,
            data=payload,
            headers={**world.headers("write"), "Content-Type": "application/json"},
        )
        results.append((response.status_code, response.get_json()))

    count = stored()
    threads = [threading.Thread(target=send) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (threads_n - 1) + [201], results
    assert len({body["id"] for _, body in results}) == 1
    assert stored() == count + 1
    assert db.session.query(Response).filter_by(submission_id="raced").count() == 1
