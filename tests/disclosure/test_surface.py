"""Property of the whole published surface (issue 17 item 2): whatever the cell sizes, voids,
revisions and followers, nothing two things ever shown can be differenced down to fewer
than k respondents (scoring.md s.3, s.6; design.md, "Disclosure").

Generated: three organisations, a campaign E and its follower G (questionnaire version 3,
so the report by principle exists), each respondent answering every item at random with
their own share of "don't know", G's patient leaders giving verdicts on E's plans; voids of
E (some republished) before G closes, then voids of G, each republished, then voids of E
republished with G after them. Walked at every publication, through HTTP as a reader sees it:

- the API results items of every audience (cells, combined, gap, trend now and before,
  response counts), each organisation's rung and answer profiles, the results CSV, the
  benchmarks of every grouping, the verdict tallies on E's plans;
- the dashboards' CSV downloads (every organisation chart; the national funnel, ranking and
  heat map, whose rows are organisations);
- the annual report by principle (report.csv).

Checked: no n shown below k; no two shown counts of one population 1..k-1 apart across
publications (differencing); every derived value (combined, gap, trend, benchmark, CSV cell,
dashboard cell) is a function of values shown beside it, so it adds no population of its
own; a trend `before` is exactly what E's latest publication shows; a principle's mean is
the mean of exactly the item means whose answered count, and its change since the item's
last showing, pass the rule (the model in `_report`); while G is open, no count below k is shown.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import re
import time
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from assessor.actions import operations
from assessor.auth.tokens import create_token
from assessor.extensions import db as _db
from assessor.models import Base, Campaign, Response, User, VerdictAnswer
from assessor.models.action import DIFFERENCE, HAPPENED
from assessor.questionnaires.answers import visible
from assessor.questionnaires.definition import Questionnaire
from assessor.responses import submission as responses
from assessor.results import counts, publications
from assessor.scoring.encoding import encode_answers
from tests.conftest import RequestPerContextClient
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    set_window,
    submitted_yesterday,
)

ORGS = (("A01", "London", "Urban"), ("B02", "London", "Urban"), ("C03", "North", "Rural"))
CODES = tuple(code for code, _, _ in ORGS)
SCALE = ["disagree", "neutral", "agree", "strongly_agree", "not_happening"]
CELLS = ("staff", "patient_leader")
AUDIENCES = (*CELLS, "combined")
GROUP_BYS = ("national", "region", "peer_group")
VIEWER = "board@example.nhs.uk"
#: Bounded so CI stays under a minute per database; raise it locally to search harder
#: (SURFACE_EXAMPLES=25 and 30 found nothing, each in under two minutes on SQLite).
EXAMPLES = int(os.environ.get("SURFACE_EXAMPLES", "5"))
#: A count behind a value on a dashboard: "33% of 6".
SHARE_OF = re.compile(r"(\d+)% of (\d+)")


def _wipe(db: Any) -> None:
    db.session.rollback()
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    publications.clear_cache()
    counts.clear_cache()


def _fill(
    campaign: Campaign,
    sizes: dict[str, tuple[int, int]],
    rng: random.Random,
    actions: dict[str, int] | None = None,
) -> None:
    """Respondents answering at random; with `actions` (the previous plan's action per
    organisation), patient leaders give a verdict on it, or skip it, at random."""
    q = questionnaire(campaign)
    for org, pair in sizes.items():
        for audience, n in zip(CELLS, pair, strict=True):
            for _ in range(n):
                dont_know = rng.choice((0.0, 0.3, 0.9))  # some answer "don't know" mostly
                answers = {
                    i.link_id: "dont_know"
                    if rng.random() < dont_know
                    else i.nearest_answer(rng.choice(SCALE))
                    for i in q.scored_items
                }
                response = responses.submit(campaign, org, audience, answers)
                if actions and audience == "patient_leader" and rng.random() < 0.8:
                    _db.session.add(
                        VerdictAnswer(
                            response_seq=response.seq,
                            action_id=actions[org],
                            happened=rng.choice(HAPPENED),
                            difference=rng.choice((None, *DIFFERENCE)),
                        )
                    )
    _db.session.flush()


def _void(campaign: Campaign, org: str, audience: str, count: int) -> None:
    victims = _db.session.scalars(
        select(Response)
        .where(
            Response.campaign_id == campaign.id,
            Response.org_code == org,
            Response.audience == audience,
            Response.status == "submitted",
        )
        .order_by(Response.seq.desc())
        .limit(count)
    ).all()
    for victim in victims:
        responses.void(victim, "test entry", "test")
    _db.session.commit()


def _num(text: str) -> float:
    return float(text.replace("\u2212", "-").lstrip("'+"))


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _lookup(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if value is None:
            return None
        if part in ("low", "high") and isinstance(value, list):
            return value[0 if part == "low" else 1]
        value = value[part]
    return value


def _same(shown: str, value: Any) -> bool:
    """A CSV cell says exactly what the API item says."""
    if value is None:
        return shown == ""
    if isinstance(value, bool):
        return shown == ("true" if value else "false")
    if isinstance(value, float):
        return math.isclose(float(shown), value, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(value, list):
        return shown == " ".join(str(v) for v in value)
    return shown == str(value)


def _close(a: float | None, b: float | None, tol: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _measures(item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("overall", item["overall"]), *item["domains"].items()]


class Surface:
    """Everything shown so far, and the report's model of the rule on answered counts."""

    def __init__(self, client: FlaskClient, token: str, k: int) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.k = k
        #: population -> every count shown for it, across every publication and surface.
        self.seen: dict[tuple, set[int]] = defaultdict(set)
        #: (slug, org, audience, item) -> count shown / answered at the item's last showing.
        self.ref_shown: dict[tuple, int] = defaultdict(int)
        self.ref_answered: dict[tuple, int] = defaultdict(int)

    def get(self, url: str, json: bool = True) -> Any:
        response = self.client.get(url, headers=self.headers)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_json() if json else response.get_data(as_text=True)

    def count(self, key: tuple, n: int | None) -> None:
        assert n is not None and n >= self.k, (key, n)
        self.seen[key].add(n)

    # ------------------------------------------------------------------ API

    def observe(self, campaign: Campaign) -> dict[str, dict[str, dict[str, Any]]]:
        """Walk every surface of the campaign's latest publication; return its API items
        as {audience: {org: item}}."""
        slug = campaign.slug
        items: dict[str, dict[str, dict[str, Any]]] = {}
        for audience in AUDIENCES:
            body = self.get(f"/api/v1/campaigns/{slug}/results?audience={audience}&limit=100")
            items[audience] = {i["organisation"]["code"]: i for i in body["items"]}
            for org, item in items[audience].items():
                for name, m in _measures(item):
                    if m["score"] is None:
                        assert m["n"] is None and m["ci95"] is None and m["suppressed"]
                    else:
                        self.count((slug, org, audience, name), m["n"])
            self._results_csv(slug, audience, items[audience])
        for org in CODES:
            self._derived(items, org)
            self._profiles(slug, org)
        self._benchmarks(slug, items)
        self._dashboards(slug, questionnaire(campaign), items)
        self._report(campaign)
        return items

    def verdicts(self, previous: Campaign, actions: dict[str, int]) -> None:
        """The verdicts on the previous campaign's plans, as the follower's latest
        publication freezes them: a tally over the patient leaders who answered."""
        for org, action_id in actions.items():
            url = f"/api/v1/campaigns/{previous.slug}/organisations/{org}/actions"
            (item,) = self.get(url)["items"]
            assert item["id"] == action_id
            verdict = item["verdict"]
            if verdict is None or verdict["n"] is None:
                assert verdict is None or all(
                    v is None for part in ("happened", "difference") for v in verdict[part].values()
                )
                continue
            self.count((previous.slug, org, "verdict", action_id), verdict["n"])
            for part in ("happened", "difference"):
                assert sum(verdict[part].values()) <= verdict["n"], verdict

    def _results_csv(self, slug: str, audience: str, items: dict[str, dict[str, Any]]) -> None:
        text = self.get(f"/api/v1/campaigns/{slug}/results.csv?audience={audience}", json=False)
        rows = _csv(text)
        assert [r["organisation.code"] for r in rows] == sorted(items)
        for row in rows:
            item = items[row["organisation.code"]]
            for column, shown in row.items():
                assert _same(shown, _lookup(item, column)), (slug, audience, column, shown)

    def _derived(self, items: dict[str, dict[str, dict[str, Any]]], org: str) -> None:
        """Combined, gap and trend `now` only from the cells shown beside them."""
        staff, leaders = dict(_measures(items["staff"][org])), dict(_measures(items[CELLS[1]][org]))
        combined = dict(_measures(items["combined"][org]))
        gap = items["combined"][org]["gap"]
        gaps = {"overall": gap["overall"], **gap["domains"]}
        for name, c in combined.items():
            s, p = staff[name]["score"], leaders[name]["score"]
            both = s is not None and p is not None
            if c["score"] is not None:
                assert both and _close(c["score"], (s + p) / 2), (org, name)
                assert c["n"] == staff[name]["n"] + leaders[name]["n"]
            g = gaps[name]["staff_minus_patient_leader"]
            if g is not None:
                assert both and _close(g, s - p), (org, name)
        for audience in AUDIENCES:
            item = items[audience][org]
            shown = dict(_measures(item))
            trend = {"overall": item["trend"]["overall"], **item["trend"]["domains"]}
            for name, t in trend.items():
                if t["now"] is not None:  # same version: `now` is the score shown beside it
                    assert _close(t["now"], shown[name]["score"]), (org, audience, name)

    def _profiles(self, slug: str, org: str) -> None:
        item = self.get(f"/api/v1/campaigns/{slug}/results/{org}?audience=combined")
        for audience, profile in item["profiles"].items():
            for domain, rungs in profile["rungs"].items():
                for rung, share in rungs.items():
                    if share["met_share"] is None:
                        assert share["n"] is None and share["suppressed"]
                    else:
                        self.count((slug, org, audience, "rung", domain, rung), share["n"])
            for link_id, share in profile["items"].items():
                if share["dont_know"] is None:
                    assert share["n"] is None and share["not_happening"] is None
                else:
                    self.count((slug, org, audience, "item", link_id), share["n"])
        self.profiles = getattr(self, "profiles", {})
        self.profiles[org] = item["profiles"]

    def _benchmarks(self, slug: str, items: dict[str, dict[str, dict[str, Any]]]) -> None:
        """A benchmark is a statistic of the organisations' values shown (its population is
        theirs): the count, mean, minimum and maximum agree with them."""
        groups = {
            "national": {code: "national" for code in CODES},
            "region": {code: region for code, region, _ in ORGS},
            "peer_group": {code: peer for code, _, peer in ORGS},
        }
        for audience in AUDIENCES:
            for by in GROUP_BYS:
                url = f"/api/v1/campaigns/{slug}/benchmarks?audience={audience}&group_by={by}"
                for bench in self.get(url)["items"]:
                    members = [c for c, g in groups[by].items() if g == bench["group"]["value"]]
                    for name, stats in [("overall", bench["overall"]), *bench["domains"].items()]:
                        scores = [
                            dict(_measures(items[audience][c]))[name]["score"] for c in members
                        ]
                        values = [s for s in scores if s is not None]
                        assert stats["n_orgs"] == len(values), (by, name, stats)
                        if not values:
                            assert stats["mean"] is None, (by, name)
                            continue
                        assert _close(stats["mean"], float(np.mean(values))), (by, name)
                        assert _close(stats["min"], min(values)), (by, name)
                        assert _close(stats["max"], max(values)), (by, name)

    # ------------------------------------------------------------------ dashboards

    def _dashboards(
        self, slug: str, q: Questionnaire, items: dict[str, dict[str, dict[str, Any]]]
    ) -> None:
        """Every count behind a dashboard value is one the API shows for the same thing (so
        it passes the same checks); every score is the API's, rounded."""
        domain = {d.title: d.key for d in q.domains}
        rung = {r.label: r.key for r in q.rungs}
        measure = {"Overall": "overall", **domain}
        for audience in AUDIENCES:
            for chart in ("funnel", "ranked", "heatmap"):
                text = self.get(f"/dashboards/{slug}/csv/{chart}?audience={audience}", False)
                for row in _csv(text):
                    found = re.search(r"\((\w+)\)$", row["Organisation"])
                    assert found is not None, row
                    item = items[audience][found.group(1)]
                    for title, key in domain.items():  # the heat map's cells
                        score = item["domains"][key]["score"]
                        if title in row and score is not None:
                            assert abs(_num(row[title]) - score) <= 0.005 + 1e-9, (chart, row)
                        elif title in row:
                            assert not re.fullmatch(r"[\d.]+", row[title]), (chart, row)
                    if "Respondents" in row and row["Respondents"].isdigit():
                        assert int(row["Respondents"]) == item["overall"]["n"], (chart, row)
                    if "Score" in row and item["overall"]["score"] is None:
                        assert not re.fullmatch(r"[\d.]+", row["Score"]), (chart, row)
        for org in CODES:
            profiles = self.profiles[org]
            for audience in CELLS:
                text = self.get(f"/dashboards/{slug}/{org}/csv/rungs-{audience}", False)
                rungs = profiles[audience]["rungs"]
                for row in _csv(text):
                    for label, cell in list(row.items())[2:]:
                        share = rungs[domain[row["Domain"]]][rung[label]]
                        self._share(cell, share["n"], share["met_share"])
            text = self.get(f"/dashboards/{slug}/{org}/csv/answers", False)
            for row in _csv(text):
                cells = list(row.values())[2:]
                for b, audience in enumerate(CELLS):
                    share = profiles[audience]["items"][row["Item"]]
                    self._share(cells[2 * b], share["n"], share["dont_know"])
                    self._share(cells[2 * b + 1], share["n"], share["not_happening"])
            for audience in AUDIENCES:
                text = self.get(f"/dashboards/{slug}/{org}/csv/profile?audience={audience}", False)
                shown = dict(_measures(items[audience][org]))
                for row in _csv(text):
                    score = shown[measure[row["Measure"]]]["score"]
                    if score is None:
                        assert not re.fullmatch(r"[\d.]+", row["Score"]), (org, audience, row)
                    else:
                        assert abs(_num(row["Score"]) - score) <= 0.005 + 1e-9, (org, row)

    def _share(self, cell: str, n: int | None, share: float | None) -> None:
        found = SHARE_OF.fullmatch(cell)
        if found is None:
            assert share is None, (cell, n, share)
            return
        assert n is not None and int(found.group(2)) == n, (cell, n)
        assert share is not None and int(found.group(1)) == round(share * 100), (cell, share)

    # ------------------------------------------------------------------ report by principle

    def _truth(self, campaign: Campaign, q: Questionnaire) -> dict[tuple, tuple]:
        """(org, audience) -> (shown, answered, sum) per scored item, from the responses that
        count now (read independently of the publication's arrays)."""
        found = {}
        rows = _db.session.execute(
            select(Response.org_code, Response.audience, Response.answers).where(
                Response.campaign_id == campaign.id, Response.status == "submitted"
            )
        ).all()
        for org in CODES:
            for audience in CELLS:
                answers = [r.answers for r in rows if (r.org_code, r.audience) == (org, audience)]
                values = encode_answers(q, answers).reshape(len(answers), len(q.scored_items))
                shown = np.array(
                    [[visible(q, a, i.link_id) for i in q.scored_items] for a in answers], bool
                ).reshape(values.shape)
                has = ~np.isnan(values) & shown
                found[(org, audience)] = (
                    shown.sum(axis=0),
                    has.sum(axis=0),
                    np.where(has, values / 4.0, 0.0).sum(axis=0),
                )
        return found

    def _report(self, campaign: Campaign) -> None:
        """The model: an item's mean is shown when the count shown the item and its answered
        count each reach k and neither fell by 1..k-1 since the item's last showing."""
        q = questionnaire(campaign)
        truth = self._truth(campaign, q)
        k = self.k
        column = {item.link_id: c for c, item in enumerate(q.scored_items)}
        for org in CODES:
            means: dict[str, dict[str, float]] = {}
            for audience in CELLS:
                n_shown, n_answered, total = truth[(org, audience)]
                means[audience] = {}
                for link_id, c in column.items():
                    key = (campaign.slug, org, audience, link_id)
                    n, a = int(n_shown[c]), int(n_answered[c])
                    ok_n = n >= k and not 0 < self.ref_shown[key] - n < k
                    ok_a = a >= k and not 0 < self.ref_answered[key] - a < k
                    if ok_n:
                        self.ref_shown[key] = n
                    if ok_a:
                        self.ref_answered[key] = a
                    share = self.profiles[org][audience]["items"][link_id]
                    assert (share["n"] is not None) == ok_n, (key, n, share)
                    if ok_n and ok_a:
                        means[audience][link_id] = float(total[c]) / a
            text = self.get(f"/results/{campaign.slug}/{org}/report.csv", json=False)
            rows = _csv(text)
            by_principle = q.items_by_principle()
            assert len(rows) == len(by_principle)
            for row in rows:
                expected: dict[str, float | None] = {}
                for audience in CELLS:
                    kept = [
                        means[audience][i] for i in by_principle[row["key"]] if i in means[audience]
                    ]
                    expected[audience] = float(np.mean(kept)) if kept else None
                s, p = expected["staff"], expected["patient_leader"]
                expected["combined"] = None if s is None or p is None else (s + p) / 2
                for audience, value in expected.items():
                    shown = row[f"{audience}.agreement"]
                    assert _close(None if shown == "" else float(shown), value), (
                        org,
                        row["key"],
                        audience,
                        shown,
                        value,
                    )

    # ------------------------------------------------------------------ open campaign

    def observe_open(self, campaign: Campaign) -> None:
        """While a campaign is open a count is shown from k on, else withheld."""
        body = self.get(f"/api/v1/campaigns/{campaign.slug}/results?audience=combined")
        for item in body["items"]:
            for n in item["responses"].values():
                assert n is None or n >= self.k, item["responses"]
            assert item["overall"]["score"] is None
        for org in CODES:
            text = self.get(f"/dashboards/{campaign.slug}/{org}/csv/responses", json=False)
            for row in _csv(text):
                assert not row["Responses"].isdigit() or int(row["Responses"]) >= self.k, row

    def check_differencing(self) -> None:
        for key, ns in self.seen.items():
            assert not [(a, b) for a in ns for b in ns if 0 < a - b < self.k], (key, sorted(ns))


def _check_before(follower: dict[str, dict[str, Any]], previous: dict[str, dict[str, Any]]) -> None:
    """A trend's `before` is exactly what the previous campaign's latest publication shows
    (same questionnaire version), so it is never a value that publication withheld."""
    for audience in AUDIENCES:
        for org in CODES:
            trend = follower[audience][org]["trend"]
            shown_before = dict(_measures(previous[audience][org]))
            for name, t in [("overall", trend["overall"]), *trend["domains"].items()]:
                if t["before"] is not None:
                    before = shown_before[name]["score"]
                    assert before is not None, (audience, org, name)
                    assert before == pytest.approx(t["before"]), (audience, org, name)


SIZES = st.fixed_dictionaries(
    {code: st.tuples(st.integers(0, 7), st.integers(0, 7)) for code in CODES}
)
VOIDS = st.lists(
    st.tuples(st.sampled_from(CODES), st.sampled_from(CELLS), st.integers(1, 4), st.booleans()),
    max_size=3,
)

LATE = st.lists(
    st.tuples(st.sampled_from(CODES), st.sampled_from(CELLS), st.integers(1, 4)), max_size=1
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    k=st.integers(3, 4),
    first=SIZES,
    second=SIZES,
    voids=VOIDS,
    late=LATE,
    seed=st.integers(0, 10_000),
)
# Finding 1 of issue 17: E's cell withheld by a revision, then G's first publication.
@example(
    k=3,
    first={"A01": (3, 7), "B02": (5, 5), "C03": (0, 2)},
    second={"A01": (3, 3), "B02": (4, 4), "C03": (3, 3)},
    voids=[("A01", "patient_leader", 1, True)],
    late=[],
    seed=1,
)
# A void of E after its latest publication, not republished: G's before stays as published;
# then 2 of G's 7 patient leaders at A01 voided: their cells and verdict tally are revised;
# then one of E's voided after G closed: E republishes, and G's next `before` follows it.
@example(
    k=3,
    first={"A01": (3, 7), "B02": (6, 6), "C03": (3, 3)},
    second={"A01": (3, 7), "B02": (4, 4), "C03": (3, 3)},
    voids=[("A01", "patient_leader", 2, False), ("B02", "staff", 3, True)],
    late=[("B02", "patient_leader", 1)],
    seed=2,
)
def test_nothing_shown_differences_below_k(
    db: Any, app: Flask, k: int, first: dict, second: dict, voids: list, late: list, seed: int
) -> None:
    _wipe(db)
    rng = random.Random(seed)
    add_orgs(*ORGS)
    # Users without a password hash (hashing is slow and not what this test is about).
    viewer, admin = (
        User(email=VIEWER, password_hash="-", role="viewer"),
        User(email="admin@example.nhs.uk", password_hash="-", role="admin"),
    )
    _db.session.add_all([viewer, admin])
    _, token = create_token("reader", ["results:read"], None)
    _db.session.commit()
    client = RequestPerContextClient(app, app.response_class, use_cookies=True)
    with client.session_transaction() as session:  # the board viewer, signed in
        session["_user_id"], session["_fresh"] = viewer.get_id(), True
        session["signed_in_at"] = int(time.time())
    surface = Surface(client, token, k)
    e = make_campaign("e", version=3, k=k)
    _fill(e, first, rng)
    set_window(e, "closed")
    _db.session.commit()
    e_items = surface.observe(e)
    form = {"domain": "governance", "title": "Seats on the board", "description": "Two."}
    form |= {"due_on": "2027-04-30", "status": "planned"}
    actions = {org: operations.add_action(e, org, form, admin).id for org in CODES}
    g = make_campaign("g", version=3, previous="e", k=k)
    _fill(g, second, rng, actions)
    submitted_yesterday(g)
    _db.session.commit()
    surface.observe_open(g)
    for org, audience, count, republish in voids:  # voids of E before G closes
        _void(e, org, audience, count)
        if republish:
            publications.publish(e, reason="test entries")
            _db.session.commit()
            e_items = surface.observe(e)
    set_window(g, "closed")
    _db.session.commit()
    _check_before(surface.observe(g), e_items)
    surface.verdicts(e, actions)
    for org, audience, count, _ in voids:  # then voids of G, republished
        _void(g, org, audience, count)
        publications.publish(g, reason="test entries")
        _db.session.commit()
        _check_before(surface.observe(g), e_items)
        surface.verdicts(e, actions)
    for org, audience, count in late:  # voids of E after G closed: both republish
        _void(e, org, audience, count)
        publications.publish(e, reason="test entries")
        _db.session.commit()
        e_items = surface.observe(e)
        publications.publish(g, reason="previous campaign revised")
        _db.session.commit()
        _check_before(surface.observe(g), e_items)
    surface.check_differencing()
