"""The record-level export and one response as FHIR: no free text ever, every request
audited, voided responses as tombstones."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from assessor.extensions import db
from assessor.models import AuditEvent, Response, utcnow
from assessor.responses.submission import void
from tests.fixtures.api import CLOSED, FREE_TEXT, KEY, OPEN


def export(api, world, slug=OPEN, **query):  # type: ignore[no-untyped-def]
    url = f"/api/v1/campaigns/{slug}/responses"
    if query:
        url += "?" + urlencode(query)
    response = api.get(url, headers=world.headers("read"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def exports() -> list[AuditEvent]:
    return (
        db.session.query(AuditEvent)
        .filter(AuditEvent.action.like("responses.export%"))
        .order_by(AuditEvent.id)
        .all()
    )


def test_export_items_carry_choices_only(api, world):
    response = export(api, world, CLOSED)
    body = response.get_json()
    assert body["total"] == 18 and len(body["items"]) == 18
    assert FREE_TEXT not in response.get_data(as_text=True)
    scored = {i.link_id for i in world.q.scored_items}
    stored = {r.id: r for r in db.session.query(Response).filter_by(campaign_id=world.closed.id)}
    for item in body["items"]:
        assert set(item) == {
            "id", "organisation", "audience", "questionnaire", "submitted_on", "answers",
            "voided",
        }  # fmt: skip
        assert re.fullmatch(r"[0-9a-f]{32}", item["id"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", item["submitted_on"])
        assert item["questionnaire"] == {"key": KEY, "version": 2}
        assert item["voided"] is False
        assert set(item["answers"]) == scored | {"gov-attend"}
        assert "comments" not in item["answers"]
        row = stored[item["id"]]
        assert item["organisation"] == row.org_code and item["audience"] == row.audience
        assert item["submitted_on"] == row.submitted_at.date().isoformat()
        assert all(item["answers"][k] == row.answers[k] for k in item["answers"])
    # Submission order: the fixture submitted 00A's staff first.
    assert [i["organisation"] for i in body["items"][:3]] == ["00A"] * 3


def test_every_export_request_is_audited(api, world):
    assert exports() == []
    export(api, world)
    since = (utcnow() - timedelta(days=1)).date().isoformat()
    page = export(api, world, updated_since=since, limit=2).get_json()
    export(api, world, CLOSED)
    api.get(page["next"], headers=world.headers("read"))
    events = exports()
    assert len(events) == 4
    assert {e.actor for e in events} == {"Analysts under DSA"}
    assert [e.details["campaign"] for e in events] == [OPEN, OPEN, CLOSED, OPEN]
    assert events[0].details["filters"] == {"updated_since": None}
    assert events[1].details["filters"]["updated_since"] is not None
    assert events[1].details["returned"] == 2
    assert events[3].details["continued"] is True
    assert all(utcnow() - e.at < timedelta(minutes=1) for e in events)

    # Refused requests export nothing and store nothing.
    refused = api.get(f"/api/v1/campaigns/{OPEN}/responses", headers=world.headers("results"))
    assert refused.status_code == 403
    missing = api.get("/api/v1/campaigns/none/responses", headers=world.headers("read"))
    assert missing.status_code == 404
    assert len(exports()) == 4


def _backdate(campaign_id: int, days: int) -> None:
    """Move a campaign's responses `days` back (to midnight, as stored)."""
    for row in db.session.query(Response).filter_by(campaign_id=campaign_id):
        for field in ("created_at", "updated_at", "submitted_at"):
            setattr(row, field, getattr(row, field) - timedelta(days=days))
    db.session.commit()


def test_a_voided_response_reappears_as_a_tombstone(api, world):
    _backdate(world.open.id, 3)
    first = export(api, world).get_json()["items"]
    target = db.session.query(Response).filter_by(id=first[1]["id"]).one()
    void(target, "a test response", actor="cli")
    db.session.commit()

    today = utcnow().date()
    increment = export(api, world, updated_since=today.isoformat()).get_json()
    assert increment["items"] == [{"id": target.id, "voided": True}]
    assert increment["total"] == 1
    three_days = export(api, world, updated_since=(today - timedelta(days=3)).isoformat())
    assert three_days.get_json()["total"] == len(first)
    assert export(api, world, updated_since=(today - timedelta(days=2)).isoformat()).get_json()[
        "items"
    ] == [{"id": target.id, "voided": True}]

    everything = export(api, world).get_json()["items"]
    assert [i["id"] for i in everything] == [i["id"] for i in first]
    assert everything[1] == {"id": target.id, "voided": True}

    tomorrow = (today + timedelta(days=1)).isoformat()
    assert export(api, world, updated_since=tomorrow).get_json() == {
        "items": [], "next": None, "total": 0,
    }  # fmt: skip


def test_one_response_as_fhir(api, world):
    row = db.session.query(Response).filter_by(campaign_id=world.open.id).first()
    url = f"/api/v1/campaigns/{OPEN}/responses/{row.id}/fhir"
    response = api.get(url, headers=world.headers("read"))
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert FREE_TEXT not in response.get_data(as_text=True)
    resource = response.get_json(force=True)
    parsed = QuestionnaireResponse.model_validate(resource)
    assert parsed.status == "completed" and parsed.id == row.id
    assert resource["authored"] == row.submitted_at.date().isoformat()  # the day, no time
    questionnaire = api.get(
        f"/api/v1/questionnaires/{KEY}/2/fhir", headers=world.headers("results")
    ).get_json(force=True)
    assert resource["questionnaire"] == f"{questionnaire['url']}|2"
    answered = {i.linkId for i in parsed.item}
    assert answered == {i.link_id for i in world.q.scored_items} | {"gov-attend"}
    assert exports()[-1].details == {
        "token_id": exports()[-1].details["token_id"], "campaign": OPEN, "response": row.id,
    }  # fmt: skip

    void(row, "test", actor="cli")
    db.session.commit()
    voided = api.get(url, headers=world.headers("read")).get_json(force=True)
    assert QuestionnaireResponse.model_validate(voided).status == "entered-in-error"
    assert "item" not in voided

    other = api.get(
        f"/api/v1/campaigns/{CLOSED}/responses/{row.id}/fhir", headers=world.headers("read")
    )
    assert other.status_code == 404
