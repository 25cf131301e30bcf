"""Cursor paging: stable order, a cursor that pins what the first page saw, and refusal of a
cursor that was altered or belongs to another list."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from assessor.extensions import db
from assessor.models import Response
from assessor.responses.submission import submit, void
from tests.fixtures.api import CLOSED, OPEN, make_campaign, uniform


def walk(api, headers, url):  # type: ignore[no-untyped-def]
    """Yield every page body from url, following `next`."""
    while url:
        response = api.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        yield body
        url = body["next"]


def test_export_paged_by_7_while_responses_arrive_sees_every_row_once(api, world):
    q = world.q
    for i in range(18):
        submit(world.open, ("00B", "00C", "00D")[i % 3], "staff", uniform(q, "neutral"))
    db.session.commit()
    before = [r.id for r in db.session.query(Response).filter_by(campaign_id=world.open.id)]
    assert len(before) == 24  # 6 from the fixture, 18 here

    headers = world.headers("read")
    seen: list[str] = []
    totals = set()
    pages = 0
    arrivals: list[str] = []
    voided: set[str] = set()
    tombstones: set[str] = set()
    for body in walk(api, headers, f"/api/v1/campaigns/{OPEN}/responses?limit=7"):
        pages += 1
        assert len(body["items"]) <= 7
        seen += [item["id"] for item in body["items"]]
        tombstones |= {item["id"] for item in body["items"] if item["voided"]}
        totals.add(body["total"])
        # Between pages: new responses arrive, and one not yet seen is voided.
        for _ in range(3):
            arrivals.append(submit(world.open, "00A", "staff", uniform(q, "agree")).id)
        unseen = next((r for r in before if r not in seen), None)
        if unseen is not None:
            void(db.session.query(Response).filter_by(id=unseen).one(), "test", actor="test")
            voided.add(unseen)
        db.session.commit()

    assert pages == 4  # 7 + 7 + 7 + 3
    assert len(seen) == len(set(seen)) == 24
    assert set(seen) == set(before)
    assert totals == {24}
    assert len(voided) == 3 and tombstones == voided  # voided before being reached
    # The next run, without a cursor, sees what arrived meanwhile.
    later = [
        i["id"]
        for b in walk(api, headers, f"/api/v1/campaigns/{OPEN}/responses")
        for i in b["items"]
    ]  # noqa: E501
    assert set(later) == set(before) | set(arrivals)


def test_results_and_benchmarks_are_paged_too(api, world):
    headers = world.headers("results")
    bodies = list(walk(api, headers, f"/api/v1/campaigns/{CLOSED}/results?limit=3&audience=staff"))
    assert [len(b["items"]) for b in bodies] == [3, 1]
    assert all(b["total"] == 4 for b in bodies)
    codes = [i["organisation"]["code"] for b in bodies for i in b["items"]]
    assert codes == ["00A", "00B", "00C", "00D"]
    assert all(i["audience"] == "staff" for b in bodies for i in b["items"])
    assert "audience=staff" in bodies[0]["next"]

    groups = list(
        walk(api, headers, f"/api/v1/campaigns/{CLOSED}/benchmarks?group_by=peer_group&limit=1")
    )  # noqa: E501
    assert [b["items"][0]["group"]["value"] for b in groups] == ["rural", "urban"]
    assert groups[-1]["next"] is None


def test_campaign_and_organisation_lists_page_in_order(api, world):
    headers = world.headers("results")
    first = api.get("/api/v1/campaigns?limit=1", headers=headers).get_json()
    assert [c["slug"] for c in first["items"]] == [CLOSED]
    make_campaign("2000-first-by-slug", "closed")  # created after the first page
    make_campaign("2099-last-by-slug", "closed")
    db.session.commit()
    rest = list(walk(api, headers, first["next"]))
    assert [c["slug"] for b in rest for c in b["items"]] == [OPEN]
    assert {b["total"] for b in rest} == {2}

    codes = [
        o["code"] for b in walk(api, headers, "/api/v1/organisations?limit=1") for o in b["items"]
    ]  # noqa: E501
    assert codes == ["00A", "00B", "00C", "00D"]
    versions = [
        (q["key"], q["version"])
        for b in walk(api, headers, "/api/v1/questionnaires?limit=1")
        for q in b["items"]
    ]
    assert versions == [("engagement-maturity", v) for v in (1, 2, 3)]


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def test_a_cursor_is_refused_when_altered_or_reused_elsewhere(api, world):
    headers = world.headers("admin")
    first = api.get(f"/api/v1/campaigns/{CLOSED}/results?limit=1", headers=headers).get_json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    assert api.get(first["next"], headers=headers).status_code == 200

    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    attempts = [
        _with_query(first["next"], cursor=tampered),
        _with_query(first["next"], cursor="not a cursor"),
        _with_query(first["next"], audience="staff"),  # other filters
        f"/api/v1/campaigns/{OPEN}/results?limit=1&cursor={cursor}",  # other campaign
        f"/api/v1/campaigns/{CLOSED}/benchmarks?cursor={cursor}",  # other list
        f"/api/v1/organisations?cursor={cursor}",
    ]
    for url in attempts:
        response = api.get(url, headers=headers)
        assert response.status_code == 400, url
        assert response.mimetype == "application/problem+json"
        assert "cursor" in response.get_json()["detail"]
    # The limit may change from page to page.
    assert api.get(_with_query(first["next"], limit="2"), headers=headers).status_code == 200
