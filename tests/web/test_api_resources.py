"""The shape of health, organisations, questionnaires and campaigns."""

from __future__ import annotations

from datetime import datetime

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from sqlalchemy.exc import OperationalError

from assessor.extensions import db
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of, get_version
from tests.fixtures.api import CLOSED, KEY, OPEN, ORGS
from tests.support.factories import submitted_yesterday


def test_health_is_open_and_reports_the_database(api, world):
    response = api.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_is_503_problem_when_the_database_is_unreachable(api, world, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(db.session, "execute", unreachable)
    response = api.get("/api/v1/health")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 503 and "database" in body["detail"]
    assert "refused" not in response.get_data(as_text=True)


def test_organisations_in_code_order(api, world):
    body = api.get("/api/v1/organisations", headers=world.headers("results")).get_json()
    assert body["total"] == 4 and body["next"] is None
    assert [o["code"] for o in body["items"]] == [code for code, _, _ in ORGS]
    assert body["items"][0] == {
        "code": "00A",
        "name": "NHS 00A",
        "kind": "sub_icb",
        "region": "London",
        "peer_group": "urban",
        "parent_code": None,
        "closed": False,
    }


def test_questionnaires_list_every_version(api, world):
    body = api.get("/api/v1/questionnaires", headers=world.headers("results")).get_json()
    assert [(q["key"], q["version"]) for q in body["items"]] == [(KEY, 1), (KEY, 2), (KEY, 3)]
    assert body["total"] == 3
    v2 = body["items"][1]
    assert set(v2) == {
        "key", "version", "title", "status", "checksum", "published_at", "audiences",
    }  # fmt: skip
    assert v2["status"] == "published"
    assert v2["audiences"] == ["staff", "patient_leader"]
    assert v2["checksum"] == world.q.checksum()
    datetime.fromisoformat(v2["published_at"])


def test_questionnaire_version_is_the_whole_normalised_definition(api, world):
    response = api.get(f"/api/v1/questionnaires/{KEY}/2", headers=world.headers("results"))
    assert response.status_code == 200
    body = response.get_json()
    expected = world.q.to_dict()
    for field in ("key", "version", "title", "revises", "audiences", "threshold", "rungs",
                  "domains"):  # fmt: skip
        assert body[field] == expected[field], field
    # Fields of format version 3 are always present, empty before it.
    assert body["items"] == [{**i, "principles": []} for i in expected["items"]]
    assert (body["not_happening"], body["definitions"], body["principles"]) == (False, {}, [])
    assert body["status"] == "published"
    assert body["checksum"] == world.q.checksum()
    gov1 = next(i for i in body["items"] if i["link_id"] == "gov-1")
    assert gov1["type"] == "agreement" and gov1["domain"] == "governance"
    assert [r["key"] for r in body["rungs"]][0] == "consultation"


def test_version_3_shows_its_definitions_principles_and_not_happening(api, world):
    """What a per-organisation report by principle needs survives publishing and the API."""
    response = api.get(f"/api/v1/questionnaires/{KEY}/3", headers=world.headers("results"))
    assert response.status_code == 200
    body = response.get_json()
    q3 = definition_of(get_version(KEY, 3))
    assert body["checksum"] == q3.checksum()
    assert body["not_happening"] is True
    assert body["definitions"] == q3.definitions
    assert "carers" in body["definitions"]["patient_leader"].lower()
    assert body["principles"][0] == {
        "key": "p1",
        "framework": "nhse-2022",
        "label": q3.principle("p1").label,
    }
    assert [p["framework"] for p in body["principles"]].count("iaf") == 5
    gov1 = next(i for i in body["items"] if i["link_id"] == "gov-1")
    assert gov1["principles"] == list(q3.item("gov-1").principles) == ["p1", "p2", "iaf-a"]
    text = next(i for i in body["items"] if i["link_id"] == "comments")
    assert text["principles"] == []
    assert Questionnaire.from_dict(get_version(KEY, 3).definition) == q3


def test_questionnaire_as_fhir_validates_as_r4(api, world):
    response = api.get(f"/api/v1/questionnaires/{KEY}/2/fhir", headers=world.headers("results"))
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    resource = response.get_json(force=True)
    parsed = FhirQuestionnaire.model_validate(resource)
    assert parsed.version == "2" and parsed.status == "active"
    assert {i.linkId for i in parsed.item} == {i.link_id for i in world.q.items}
    assert resource["url"].endswith(f"/{KEY}")


def test_campaigns_in_slug_order(api, world):
    body = api.get("/api/v1/campaigns", headers=world.headers("results")).get_json()
    assert body["total"] == 2
    closed, opened = body["items"]
    assert closed["slug"] == CLOSED and opened["slug"] == OPEN
    assert closed["status"] == "closed" and opened["status"] == "open"
    assert closed["questionnaire"] == {"key": KEY, "version": 2}
    assert closed["previous"] is None and opened["previous"] == CLOSED
    assert closed["min_respondents"] == 3 and closed["access"] == "open"
    assert set(closed) == {
        "slug", "title", "questionnaire", "opens_at", "closes_at", "status", "previous",
        "min_respondents", "access",
    }  # fmt: skip
    assert datetime.fromisoformat(closed["opens_at"]) < datetime.fromisoformat(closed["closes_at"])


@pytest.mark.parametrize(
    ("slug", "counts"),
    [(CLOSED, {"staff": 10, "patient_leader": 8}), (OPEN, {"staff": 3, "patient_leader": 3})],
)
def test_one_campaign_with_counts(api, world, slug, counts):
    submitted_yesterday(world.open)  # an open campaign's counts are as at yesterday's end
    db.session.commit()
    body = api.get(f"/api/v1/campaigns/{slug}", headers=world.headers("results")).get_json()
    assert body["slug"] == slug
    assert body["response_counts"] == counts
    assert body["organisations"] == 4
