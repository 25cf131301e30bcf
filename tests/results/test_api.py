"""Results, the CSV and benchmarks through the API, on the hand-computed closed campaign of
conftest.py (k = 3):

| org | staff | patient leaders | combined |
|---|---|---|---|
| 00A London/urban | 3 x 5 | 3 x 2/3 | (5 + 2/3) / 2 = 17/6, n 6 |
| 00B London/rural | 3 x 2/3 | 2 x 5/3 (suppressed) | patient_leader_below_minimum |
| 00C North West/urban | 4 x 1/3 | 3 x 5 | (1/3 + 5) / 2 = 8/3, n 7 |
| 00D North West/rural | none | none | patient_leader_below_minimum |

Every respondent of a cell answers alike, so every sd is 0 and every interval is [x, x].
"""

from __future__ import annotations

import csv
import io
import math

import pytest

from assessor import results
from assessor.campaigns import service as campaigns
from assessor.extensions import db
from assessor.results.api import csv_columns
from tests.fixtures.api import CLOSED, OPEN, STEP_SCORE
from tests.support import reference
from tests.support.factories import submitted_yesterday

A, C = 17 / 6, 8 / 3


def get(api, world, path, token="results"):  # type: ignore[no-untyped-def]
    response = api.get(path, headers=world.headers(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def by_code(body: dict) -> dict[str, dict]:
    return {item["organisation"]["code"]: item for item in body["items"]}


def test_combined_results_of_a_closed_campaign(api, world):
    body = get(api, world, f"/api/v1/campaigns/{CLOSED}/results").get_json()
    assert body["total"] == 4 and body["next"] is None
    items = by_code(body)
    assert list(items) == ["00A", "00B", "00C", "00D"]

    a = items["00A"]
    assert a["organisation"] == {
        "code": "00A", "name": "NHS 00A", "region": "London", "peer_group": "urban",
    }  # fmt: skip
    assert a["audience"] == "combined" and a["preview"] is False
    assert a["responses"] == {"staff": 3, "patient_leader": 3}
    assert a["response_rate"] == {"staff": None, "patient_leader": None}
    assert a["scoring"]["min_respondents"] == 3 and a["scoring"]["version"] == 2
    overall = a["overall"]
    assert overall["score"] == pytest.approx(A)
    assert overall["level"] == 2 and overall["level_key"] == "co_commissioning"
    assert overall["n"] == 6
    # Everyone alike (sd 0): the bounded interval on n_eff = n = 6 and df = 6 - 2 = 4 is not
    # of zero width (scoring.md s.3); fewer than 10 answered in each cell: imprecise.
    assert overall["ci95"] == pytest.approx(list(reference.bounded(A, 0.0, 4, 6)))
    assert overall["ci95"][0] < A < overall["ci95"][1]
    assert overall["imprecise"] is True
    assert overall["suppressed"] is False and overall["reason"] is None
    # Shown combined values: 00A 17/6 and 00C 8/3; 00A is above 00C, alone in London.
    assert overall["percentile"] == {"national": 75.0, "region": 50.0, "peer_group": 75.0}
    assert set(a["domains"]) == set(world.q.domain_keys)
    assert a["domains"]["governance"]["score"] == pytest.approx(A)
    # gap: 5 - 2/3 = 13/3 with se 0: significant, as it is not 0.
    assert a["gap"]["overall"]["staff_minus_patient_leader"] == pytest.approx(13 / 3)
    assert a["gap"]["overall"]["significant"] is True
    assert a["trend"]["reason"] == "no_previous" and a["trend"]["overall"]["delta"] is None

    b = items["00B"]
    assert b["responses"] == {"staff": 3, "patient_leader": 2}
    assert b["overall"]["score"] is None and b["overall"]["suppressed"] is True
    assert b["overall"]["reason"] == "patient_leader_below_minimum"
    assert b["gap"]["overall"]["staff_minus_patient_leader"] is None

    c = items["00C"]["overall"]
    assert c["score"] == pytest.approx(C) and c["n"] == 7 and c["level"] == 2
    assert c["percentile"]["national"] == 25.0

    d = items["00D"]
    assert d["responses"] == {"staff": 0, "patient_leader": 0}
    assert d["overall"]["reason"] == "patient_leader_below_minimum"


def test_one_voice_results_and_filters(api, world):
    staff = by_code(
        get(api, world, f"/api/v1/campaigns/{CLOSED}/results?audience=staff").get_json()
    )
    assert staff["00A"]["overall"]["score"] == pytest.approx(5.0)
    assert staff["00A"]["overall"]["level_key"] == "co_assessment"
    assert staff["00B"]["overall"]["score"] == pytest.approx(2 / 3)
    assert staff["00B"]["overall"]["level"] == 0
    assert staff["00B"]["overall"]["level_key"] == "not_yet"
    assert staff["00C"]["overall"]["score"] == pytest.approx(1 / 3)
    assert staff["00C"]["overall"]["n"] == 4
    assert staff["00D"]["overall"]["reason"] == "below_minimum"

    leaders = by_code(
        get(api, world, f"/api/v1/campaigns/{CLOSED}/results?audience=patient_leader").get_json()
    )
    assert leaders["00B"]["overall"]["score"] is None
    assert leaders["00B"]["overall"]["reason"] == "below_minimum"
    assert leaders["00B"]["responses"]["patient_leader"] == 2

    def codes(query: str) -> list[str]:
        body = get(api, world, f"/api/v1/campaigns/{CLOSED}/results?{query}").get_json()
        assert body["total"] == len(body["items"])
        return [i["organisation"]["code"] for i in body["items"]]

    assert codes("region=London") == ["00A", "00B"]
    assert codes("peer_group=urban") == ["00A", "00C"]
    assert codes("region=North%20West&peer_group=urban") == ["00C"]
    assert codes("region=Nowhere") == []


def test_response_rates_use_eligible_counts(api, world):
    # A closed campaign's rates are published with it: a new count shows from the next
    # publication on.
    campaigns.set_eligible(world.closed, "00A", "staff", 6)
    results.publish(world.closed, reason="eligible counts recorded")
    db.session.commit()
    body = get(api, world, f"/api/v1/campaigns/{CLOSED}/results?region=London").get_json()
    assert by_code(body)["00A"]["response_rate"] == {"staff": 0.5, "patient_leader": None}


def test_an_open_campaign_shows_counts_only_except_to_admin(api, world):
    submitted_yesterday(world.open)  # counts are as at the end of the previous day
    db.session.commit()
    path = f"/api/v1/campaigns/{OPEN}/results?region=London"
    public = by_code(get(api, world, path).get_json())["00A"]
    assert public["preview"] is False
    assert public["responses"] == {"staff": 3, "patient_leader": 3}
    for measure in [public["overall"], *public["domains"].values()]:
        assert measure["score"] is None and measure["n"] is None
        assert measure["suppressed"] is True and measure["reason"] == "campaign_open"
    assert public["gap"]["reason"] == "campaign_open"
    assert public["trend"]["reason"] == "campaign_open"
    assert public["trend"]["overall"]["delta"] is None

    preview = by_code(get(api, world, path, token="admin").get_json())["00A"]
    assert preview["preview"] is True
    assert preview["overall"]["score"] == pytest.approx(5.0)
    assert preview["overall"]["n"] == 6
    # Trend against 2025 on the same version: combined 17/6 then, 5 now.
    assert preview["trend"]["previous"] == CLOSED
    assert preview["trend"]["comparable_fraction"] == pytest.approx(1.0)
    assert preview["trend"]["overall"]["before"] == pytest.approx(A)
    assert preview["trend"]["overall"]["delta"] == pytest.approx(5 - A)

    benchmarks = get(api, world, f"/api/v1/campaigns/{OPEN}/benchmarks").get_json()["items"]
    assert benchmarks[0]["reason"] == "campaign_open"
    assert benchmarks[0]["overall"]["mean"] is None
    assert benchmarks[0]["overall"]["n_orgs"] is None
    assert set(benchmarks[0]["overall"]["levels"].values()) == {None}
    admin = get(api, world, f"/api/v1/campaigns/{OPEN}/benchmarks", token="admin").get_json()
    assert admin["items"][0]["preview"] is True
    assert admin["items"][0]["overall"]["mean"] == pytest.approx(5.0)

    csv_path = f"/api/v1/campaigns/{OPEN}/results.csv?region=London&audience=staff"
    rows = list(csv.DictReader(io.StringIO(get(api, world, csv_path).text)))
    assert rows[0]["overall.score"] == "" and rows[0]["overall.reason"] == "campaign_open"
    assert rows[0]["responses.staff"] == "3"


def test_benchmarks_by_group(api, world):
    body = get(api, world, f"/api/v1/campaigns/{CLOSED}/benchmarks").get_json()
    assert body["total"] == 1
    national = body["items"][0]
    assert national["group"] == {"by": "national", "value": "national"}
    overall = national["overall"]
    # Shown: 8/3 and 17/6; numpy's linear quartiles of two values.
    assert overall["n_orgs"] == 2 and overall["n_suppressed"] == 2
    assert overall["mean"] == pytest.approx((A + C) / 2)
    assert overall["median"] == pytest.approx((A + C) / 2)
    assert overall["q1"] == pytest.approx(C + 0.25 * (A - C))
    assert overall["q3"] == pytest.approx(C + 0.75 * (A - C))
    assert (overall["min"], overall["max"]) == pytest.approx((C, A))
    assert overall["levels"] == {"0": 0, "1": 0, "2": 2, "3": 0, "4": 0, "5": 0}
    assert overall["funnel"]["target"] == pytest.approx((A + C) / 2)
    assert set(national["domains"]) == set(world.q.domain_keys)

    regions = get(
        api, world, f"/api/v1/campaigns/{CLOSED}/benchmarks?group_by=region&audience=staff"
    ).get_json()
    assert [i["group"]["value"] for i in regions["items"]] == ["London", "North West"]
    london, north_west = (i["overall"] for i in regions["items"])
    assert london["n_orgs"] == 2 and london["mean"] == pytest.approx((5 + 2 / 3) / 2)
    assert north_west["n_orgs"] == 1 and north_west["n_suppressed"] == 1
    assert north_west["mean"] == pytest.approx(1 / 3)


def test_csv_is_the_same_rows_flattened(api, world):
    for audience in ("combined", "staff"):
        json_items = get(
            api, world, f"/api/v1/campaigns/{CLOSED}/results?audience={audience}"
        ).get_json()["items"]
        response = get(api, world, f"/api/v1/campaigns/{CLOSED}/results.csv?audience={audience}")
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        reader = csv.reader(io.StringIO(response.text))
        header = next(reader)
        assert header == csv_columns(list(world.q.domain_keys))
        assert len(header) == len(set(header))
        rows = [dict(zip(header, row, strict=True)) for row in reader]
        assert len(rows) == len(json_items) == 4
        for item, row in zip(json_items, rows, strict=True):
            assert row["organisation.code"] == item["organisation"]["code"]
            assert row["audience"] == audience
            for measure, body in [("overall", item["overall"])] + [
                (f"domains.{k}", v) for k, v in item["domains"].items()
            ]:
                score = row[f"{measure}.score"]
                if body["score"] is None:
                    assert score == "" and row[f"{measure}.reason"] == body["reason"]
                else:
                    assert float(score) == body["score"]
                    assert int(row[f"{measure}.n"]) == body["n"]
                    assert float(row[f"{measure}.ci95.low"]) == body["ci95"][0]
                    assert row[f"{measure}.suppressed"] == "false"
            gap = item["gap"]["overall"]["staff_minus_patient_leader"]
            cell = row["gap.overall.staff_minus_patient_leader"]
            assert (cell == "") if gap is None else float(cell) == gap
    # Every measure and field is a column: 6 domains + overall.
    assert sum(c.endswith(".score") for c in header) == 7


def _visible_scores(item: dict) -> list[tuple[str, dict]]:
    return [("overall", item["overall"]), *item["domains"].items()]


@pytest.mark.parametrize("audience", ["combined", "staff", "patient_leader"])
@pytest.mark.parametrize("query", ["", "&region=London", "&peer_group=rural"])
@pytest.mark.parametrize("token", ["results", "admin"])
def test_suppression_holds_everywhere(api, world, audience, query, token):
    """No score from fewer than k = 3 respondents, whatever the endpoint, filter or token;
    00B's two patient leaders (5/3 each) never show, not even by subtraction."""
    k = world.closed.min_respondents
    leak = f"{STEP_SCORE:.6f}"[:6]  # "1.6666"
    base = f"/api/v1/campaigns/{CLOSED}"
    body = get(api, world, f"{base}/results?audience={audience}{query}", token).get_json()
    for item in body["items"]:
        counts = item["responses"]
        cells = ["staff", "patient_leader"] if audience == "combined" else [audience]
        for _, measure in _visible_scores(item):
            if measure["score"] is not None:
                assert all(counts[c] >= k for c in cells)
                assert measure["n"] >= k
        gap = item["gap"]["overall"]
        if gap["staff_minus_patient_leader"] is not None:
            assert counts["staff"] >= k and counts["patient_leader"] >= k
    csv_text = get(api, world, f"{base}/results.csv?audience={audience}{query}", token).text
    for row in csv.DictReader(io.StringIO(csv_text)):
        if row["organisation.code"] in ("00B", "00D") and audience != "staff":
            assert all(row[c] == "" for c in row if c.endswith((".score", ".mean", ".delta")))
    bench = get(api, world, f"{base}/benchmarks?audience={audience}&group_by=peer_group", token)
    for text in (str(body), csv_text, bench.text):
        assert leak not in text
    for item in bench.get_json()["items"]:
        for _, stats in _visible_scores(item):
            if stats["mean"] is not None:
                assert stats["n_orgs"] >= 1 and not math.isnan(stats["mean"])


def test_results_csv_writes_hostile_names_as_text(api, world):
    # An organisation named `=HYPERLINK(...)` must not be a live formula in a spreadsheet.
    from sqlalchemy import select

    from assessor.models import Organisation
    from assessor.models.campaign import CampaignOrganisation

    hostile = ['=HYPERLINK("https://evil.example","x")', "+cmd", "@SUM(A1)", "-1+2"]
    for org, name in zip(db.session.scalars(select(Organisation).order_by(Organisation.code)),
                         hostile, strict=False):  # fmt: skip
        org.name = name
    # Regions as the campaign recorded them (an import may have carried any text).
    for member in db.session.scalars(select(CampaignOrganisation)):
        member.region = f"=HYPERLINK({member.org_code!r})"
    db.session.commit()
    path = f"/api/v1/campaigns/{OPEN}/results.csv"
    rows = list(csv.DictReader(io.StringIO(get(api, world, path, token="admin").text)))
    names = [row["organisation.name"] for row in rows]
    assert names == ["'" + name for name in hostile]
    regions = [row["organisation.region"] for row in rows]
    assert regions and all(region.startswith("'=") for region in regions), regions
