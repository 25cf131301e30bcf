"""Reads never write (design.md): a campaign whose closing date has passed is published by
`assessor jobs run-due` (or `campaigns close`), never by a GET; and run-due publishes once,
however often and however concurrently it runs."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from assessor.auth.passwords import create_user
from assessor.auth.tokens import create_token
from assessor.extensions import db as _db
from assessor.jobs.due import run_due
from assessor.models import Publication, Response
from assessor.responses import submission as responses
from tests.actions.conftest import sign_in
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    set_window,
    uniform_answers,
)

AWAITING = "results will be published shortly"


def _rows() -> tuple[int, int]:
    _db.session.expire_all()
    publications = _db.session.scalar(select(func.count()).select_from(Publication))
    in_progress = _db.session.scalar(
        select(func.count()).select_from(Response).where(Response.status == "in_progress")
    )
    return int(publications or 0), int(in_progress or 0)


def _date_passed(db):  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=3)
    q = questionnaire(campaign)
    for _ in range(3):
        responses.submit(campaign, "A01", "staff", uniform_answers(q, "agree"))
        responses.submit(campaign, "A01", "patient_leader", uniform_answers(q, "agree"))
    responses.start(campaign, "A01", "staff")  # an in-progress response
    set_window(campaign, "closed", publish=False)
    db.session.commit()
    return campaign


def test_no_read_publishes_or_purges_and_each_says_results_are_coming(client, db) -> None:
    _date_passed(db)
    editor = create_user("e@example.nhs.uk", "editor", "a long enough password", "A01")
    _, raw = create_token("reader", ["results:read"])
    db.session.commit()
    assert _rows() == (0, 1)
    api = {"Authorization": f"Bearer {raw}"}
    for url in (
        "/api/v1/campaigns/c",
        "/api/v1/campaigns/c/publications",
        "/api/v1/campaigns/c/results",
        "/api/v1/campaigns/c/results/A01",
        "/api/v1/campaigns/c/results.csv",
        "/api/v1/campaigns/c/benchmarks",
    ):
        assert client.get(url, headers=api).status_code == 200, url
    item = client.get("/api/v1/campaigns/c/results/A01", headers=api).get_json()
    assert item["overall"]["score"] is None
    assert item["overall"]["reason"] == "awaiting_publication"
    assert AWAITING in client.get("/results/c/A01").get_data(as_text=True)
    assert AWAITING in client.get("/results/c").get_data(as_text=True)
    sign_in(client, editor)
    for url in ("/dashboards/", "/dashboards/c", "/dashboards/c/A01", "/dashboards/c/A01/actions"):
        page = client.get(url)
        assert page.status_code == 200, url
    assert AWAITING in client.get("/dashboards/c").get_data(as_text=True)
    assert AWAITING in client.get("/dashboards/c/A01/actions").get_data(as_text=True)
    assert _rows() == (0, 1)


def test_run_due_publishes_once_and_purges_in_progress_answers(runner, db) -> None:
    campaign = _date_passed(db)
    out = runner.invoke(args=["jobs", "run-due"])
    assert out.exit_code == 0, out.output
    assert out.output == "published c: publication 1\n"
    assert _rows() == (1, 0)
    again = runner.invoke(args=["jobs", "run-due"])
    assert again.output == "nothing due\n"
    assert _rows() == (1, 0)
    number = _db.session.scalar(
        select(Publication.number).where(Publication.campaign_id == campaign.id)
    )
    assert number == 1


@pytest.mark.real_commits
@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="concurrent writers need PostgreSQL (CI runs it in its PostgreSQL pass)",
)
def test_two_run_due_at_once_make_one_publication(app, db) -> None:
    _date_passed(db)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                outcomes.append(run_due())
                _db.session.commit()
            except Exception as exc:  # noqa: BLE001 (reported below)
                _db.session.rollback()
                outcomes.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert _rows() == (1, 0)


def test_the_openapi_document_names_the_awaiting_publication_reason(client) -> None:
    spec = client.get("/api/openapi.json").get_data(as_text=True)
    assert "awaiting_publication" in spec
