"""Issue 17, finding 4: while a campaign is open, counts anyone but an administrator reads
are as at the end of the previous day, and below k read "fewer than k" (scoring.md s.6), on
the public page, the dashboards and the API alike."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from assessor.auth.passwords import create_user
from assessor.auth.tokens import create_token
from assessor.models import utcnow
from assessor.responses import submission as responses
from tests.actions.conftest import sign_in
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    submitted_yesterday,
    uniform_answers,
)


def test_attack_a_count_never_moves_with_one_answer_today_nor_shows_below_k(client, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=5)
    q = questionnaire(campaign)
    for _ in range(6):
        responses.submit(campaign, "A01", "staff", uniform_answers(q, "agree"))
    for _ in range(2):
        responses.submit(campaign, "A01", "patient_leader", uniform_answers(q, "agree"))
    submitted_yesterday(campaign)
    viewer = create_user("v@example.nhs.uk", "viewer", "a long enough password")
    admin = create_user("a@example.nhs.uk", "admin", "a long enough password")
    _, raw = create_token("outsider", ["results:read"])
    _, admin_raw = create_token("admin", ["admin"])
    db.session.commit()

    def seen() -> tuple[object, ...]:
        item = client.get(
            "/api/v1/campaigns/c/results/A01", headers={"Authorization": f"Bearer {raw}"}
        ).get_json()
        detail = client.get(
            "/api/v1/campaigns/c", headers={"Authorization": f"Bearer {raw}"}
        ).get_json()
        page = " ".join(client.get("/results/c/A01").get_data(as_text=True).split())
        sign_in(client, viewer)
        table = list(csv.reader(io.StringIO(client.get("/dashboards/c/csv/responses").text)))
        sign_in(client, None)
        return item["responses"], item["responses_as_of"], detail["response_counts"], page, table

    before = seen()
    assert before[0] == {"staff": 6, "patient_leader": None}
    yesterday = utcnow().date() - timedelta(days=1)
    assert before[1] == yesterday.isoformat()
    assert before[2] == {"staff": 6, "patient_leader": None}
    assert (
        "Responses: 6 from staff, fewer than 5 from patient leaders (as at the end of"
        f" {yesterday.day} {yesterday.strftime('%B %Y')})"
    ) in before[3]
    assert before[4][1][2] == "6" and before[4][1][4] == "fewer than 5"

    # A patient leader and a member of staff answer today: nothing anyone else reads moves.
    responses.submit(campaign, "A01", "staff", uniform_answers(q, "agree"))
    responses.submit(campaign, "A01", "patient_leader", uniform_answers(q, "agree"))
    db.session.commit()
    assert seen() == before
    # Administrators read live counts.
    live = client.get(
        "/api/v1/campaigns/c/results/A01", headers={"Authorization": f"Bearer {admin_raw}"}
    ).get_json()
    assert live["responses"] == {"staff": 7, "patient_leader": 3}
    assert live["responses_as_of"] is None
    sign_in(client, admin)
    assert "7 staff and 3 patient leaders responded" in client.get("/dashboards/c/A01").text
