"""One unit of work (design.md): a request commits before its response leaves, so a commit
that fails answers 409 or 503 as a problem, never a success; a CLI command that fails
stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from assessor.extensions import db as _db
from assessor.models import Response
from tests.fixtures.api import OPEN, uniform

URL = f"/api/v1/campaigns/{OPEN}/responses"


@contextmanager
def failing_commit(error: Exception) -> Iterator[None]:
    """Every commit in the block fails with `error`, as a unique violation or a lost
    connection at commit time would."""

    def refuse(session: Session) -> None:
        raise error

    event.listen(Session, "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", refuse)


def _stored() -> int:
    _db.session.expire_all()
    return _db.session.query(Response).count()


def _submit(api, world, submission_id: str):  # type: ignore[no-untyped-def]
    body = {
        "submission_id": submission_id,
        "organisation": "00B",
        "audience": "patient_leader",
        "answers": uniform(world.q, "agree"),
    }
    return api.post(
        URL,
        data=json.dumps(body),
        headers={**world.headers("write"), "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (IntegrityError("INSERT", {}, Exception("duplicate key")), 409),
        (OperationalError("COMMIT", {}, Exception("could not serialize access")), 503),
    ],
)
def test_a_commit_that_fails_is_never_a_success(api, world, error, status) -> None:
    before = _stored()
    with failing_commit(error):
        response = _submit(api, world, f"sub-{status}")
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status
    assert "nothing was stored" in response.get_json()["detail"]
    if status == 503:
        assert response.headers["Retry-After"] == "2"
    assert _stored() == before
    # The same submission goes through once the database accepts it: nothing half stored.
    assert _submit(api, world, f"sub-{status}").status_code == 201
    assert _stored() == before + 1


def test_a_page_whose_commit_fails_says_so(client, db) -> None:
    with failing_commit(IntegrityError("INSERT", {}, Exception("duplicate key"))):
        response = client.get("/login")
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    assert "<h1>Nothing was stored</h1>" in response.get_data(as_text=True)
    assert "nothing was stored" in response.get_data(as_text=True)


def test_a_cli_command_whose_commit_fails_stores_nothing(runner, db) -> None:
    from assessor.models import ApiToken

    with failing_commit(OperationalError("COMMIT", {}, Exception("server closed"))):
        out = runner.invoke(
            args=["tokens", "create", "--name", "Analysts", "--scope", "results:read"]
        )
    assert out.exit_code != 0
    assert "nothing was stored" in out.output
    _db.session.expire_all()
    assert _db.session.query(ApiToken).count() == 0
