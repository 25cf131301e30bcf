"""Response rates from the invitations sent to contacts (where no number eligible was
recorded): administrators read them live; everyone else as at the end of the previous day,
and none beside a count withheld as "fewer than k"."""

from __future__ import annotations

from assessor.auth.tokens import create_token
from assessor.campaigns import contacts, outbox
from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    submitted_yesterday,
    uniform_answers,
)


def test_rates_divide_by_invitations_sent_live_for_admins_and_day_old_for_others(
    client, db
) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=5, access="invitation")
    rows = [f"A01,staff,s{i}@example.nhs.uk," for i in range(10)]
    rows += [f"A01,patient_leader,p{i}@example.org," for i in range(4)]
    contacts.import_contacts(campaign, "org_code,audience,email,mobile\n" + "\n".join(rows))
    assert outbox.queue_invitations(campaign, ("email",)).contacts == 14
    q = questionnaire(campaign)
    for _ in range(6):
        responses.submit(campaign, "A01", "staff", uniform_answers(q, "agree"))
    for _ in range(2):
        responses.submit(campaign, "A01", "patient_leader", uniform_answers(q, "agree"))
    submitted_yesterday(campaign)
    responses.submit(campaign, "A01", "staff", uniform_answers(q, "agree"))  # today
    _, reader = create_token("reader", ["results:read"])
    _, admin = create_token("admin", ["admin", "results:read"])
    db.session.commit()

    def rates(token: str) -> dict[str, float | None]:
        url = "/api/v1/campaigns/c/results/A01"
        return client.get(url, headers={"Authorization": f"Bearer {token}"}).get_json()[
            "response_rate"
        ]

    assert rates(reader) == {"staff": 0.6, "patient_leader": None}
    assert rates(admin) == {"staff": 0.7, "patient_leader": 0.5}
