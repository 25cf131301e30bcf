"""Property: no value computed from fewer than k respondents appears anywhere in results or
benchmarks, whatever the cell sizes (scoring.md s.3, s.4)."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessor.models import Base
from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    benchmark_items,
    make_campaign,
    questionnaire,
    result_items,
    set_window,
)

OPTIONS = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree", "dont_know"]


def _measure(item: dict, name: str) -> dict:
    return item["overall"] if name == "overall" else item["domains"][name]


def _wipe(db) -> None:  # type: ignore[no-untyped-def]
    db.session.rollback()
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    k=st.integers(3, 5),
    sizes=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=3, max_size=5),
    seed=st.integers(0, 10_000),
)
def test_no_suppressed_value_leaks(db, k: int, sizes: list[tuple[int, int]], seed: int) -> None:
    _wipe(db)
    rng = random.Random(seed)
    codes = [f"O{i}" for i in range(len(sizes))]
    add_orgs(*[(code, "London" if i % 2 else "Midlands", "P") for i, code in enumerate(codes)])
    campaign = make_campaign("p", k=k)
    q = questionnaire(campaign)
    for code, (n_staff, n_patient) in zip(codes, sizes, strict=True):
        for audience, n in (("staff", n_staff), ("patient_leader", n_patient)):
            for _ in range(n):
                answers = {
                    item.link_id: rng.choice(OPTIONS)
                    for item in q.scored_items
                    if rng.random() < 0.8
                }
                responses.submit(campaign, code, audience, answers)
    set_window(campaign, "closed")

    by_audience = {
        a: {i["organisation"]["code"]: i for i in result_items(campaign, a)}
        for a in ("staff", "patient_leader", "combined")
    }
    for code in codes:
        for audience in ("staff", "patient_leader"):
            item = by_audience[audience][code]
            for m in [item["overall"], *item["domains"].values()]:
                if m["suppressed"]:
                    assert m["score"] is m["n"] is m["ci95"] is m["level"] is None
                    assert set(m["percentile"].values()) == {None}
                    assert set(m["funnel"].values()) == {None}
                else:
                    assert m["n"] >= k
        combined = by_audience["combined"][code]
        for name, m in [("overall", combined["overall"]), *combined["domains"].items()]:
            staff_m = by_audience["staff"][code]
            patient_m = by_audience["patient_leader"][code]
            both = (
                not _measure(staff_m, name)["suppressed"]
                and not _measure(patient_m, name)["suppressed"]
            )
            assert (m["score"] is not None) == both
            gap = (
                combined["gap"]["overall"]
                if name == "overall"
                else combined["gap"]["domains"][name]
            )
            assert (gap["staff_minus_patient_leader"] is not None) == both
    for audience in ("staff", "patient_leader", "combined"):
        shown = sum(1 for i in by_audience[audience].values() if not i["overall"]["suppressed"])
        bench = benchmark_items(campaign, audience, "national")[0]["overall"]
        assert bench["n_orgs"] == shown
        assert bench["n_suppressed"] == len(codes) - shown
        assert sum(bench["levels"].values()) == shown
