"""The disclosure rule on hand-computed counts (scoring.md s.3 and s.6)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessor.disclosure import (
    BELOW_MINIMUM,
    REASON_CODE,
    REVISION_BELOW_MINIMUM,
    comments_shown,
    counts_as_of,
    differenced,
    open_count,
    reaches_k,
    released,
    tally,
    trend_baseline,
)


def test_differenced_below_k_and_after_voids() -> None:
    # k = 5: 4 is below; 7 shown before and 6 now (1 voided) is withheld; 7 -> 2 is below k;
    # 10 -> 5 (5 voided, k or more) is shown; never shown before (ref 0) is shown at 6.
    shown, reason, ref = differenced([4, 6, 2, 5, 6], 5, [0, 7, 7, 10, 0])
    assert shown.tolist() == [False, False, False, True, True]
    assert reason.tolist() == [
        REASON_CODE[BELOW_MINIMUM],
        REASON_CODE[REVISION_BELOW_MINIMUM],
        REASON_CODE[BELOW_MINIMUM],
        0,
        0,
    ]
    # The reference moves only when the value is shown again.
    assert ref.tolist() == [0, 7, 7, 5, 6]


def test_reaches_k_at_k_and_never_from_nobody() -> None:
    assert reaches_k(np.array([[0, 4], [5, 6]]), 5).tolist() == [[False, False], [True, True]]
    with pytest.raises(ValueError):
        reaches_k(np.array([0]), 0)


def test_tally_follows_the_same_rule() -> None:
    assert tally({"agree": 3, "disagree": 3}, 6, 5).counts == {"agree": 3, "disagree": 3}
    withheld = tally({"agree": 3, "disagree": 3}, 6, 5, ref_n=7)
    assert (withheld.counts, withheld.n, withheld.reason) == (None, None, REVISION_BELOW_MINIMUM)
    assert withheld.ref_n == 7
    assert tally({"agree": 1, "disagree": 1}, 2, 5).reason == BELOW_MINIMUM


def test_open_counts_and_comment_sections() -> None:
    assert str(open_count(3, 5)) == "fewer than 5"
    assert open_count(0, 5).value is None
    assert open_count(5, 5).value == 5
    assert counts_as_of(datetime(2026, 3, 4, 15, 30, tzinfo=UTC)) == datetime(
        2026, 3, 4, tzinfo=UTC
    )
    assert not comments_shown(9, 5)
    assert comments_shown(10, 5)
    assert not comments_shown(11, 12)


@given(
    st.integers(3, 10),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=30),
)
def test_no_two_shown_counts_differ_by_fewer_than_k(k: int, pairs: list[tuple[int, int]]) -> None:
    """Shown at ref, then shown again at n: the two never differ by 1..k-1 downwards."""
    ref = np.array([r for r, _ in pairs])
    n = np.array([m for _, m in pairs])
    first, _, ref1 = differenced(ref, k)
    second, _, _ = differenced(n, k, ref1)
    both = first & second
    left = ref[both] - n[both]
    assert not ((left >= 1) & (left <= k - 1)).any()


def test_a_growing_tally_is_released_k_people_at_a_time() -> None:
    # k = 3, co-signatures by day: 2 (below k), 3 (released), 4 and 5 (1..k-1 more: the
    # tally at 3 stays), 6 (k more than 3: released), 7 (stays at 6).
    days = [(2, 0), (2, 1), (3, 1), (3, 2), (4, 2), (5, 2)]
    steps = [({"agree": a, "disagree": d}, a + d) for a, d in days]
    shown = [released(steps[: i + 1], 3) for i in range(len(steps))]
    assert [t.n for t in shown] == [None, 3, 3, 3, 6, 6]
    assert shown[0].reason == BELOW_MINIMUM and shown[0].counts is None
    assert shown[3].counts == {"agree": 2, "disagree": 1}
    assert shown[5].counts == {"agree": 4, "disagree": 2}


@given(st.integers(3, 6), st.lists(st.integers(0, 4), max_size=20))
def test_no_two_released_tallies_differ_by_fewer_than_k(k: int, daily: list[int]) -> None:
    """Whatever co-signs each day, the tallies shown day after day are never 1..k-1 apart."""
    totals = np.cumsum(daily).tolist()
    steps = [({"agree": n}, n) for n in totals]
    ns = {released(steps[: i + 1], k).n for i in range(len(steps))} - {None}
    assert all(n >= k for n in ns)
    assert not [(a, b) for a in ns for b in ns if 0 < a - b < k]


def test_a_trend_baseline_withheld_by_the_previous_publication_stays_withheld() -> None:
    shown, below, revised = 0, REASON_CODE[BELOW_MINIMUM], REASON_CODE[REVISION_BELOW_MINIMUM]
    staff = np.array([[shown, shown, below, revised]])
    leaders = np.array([[shown, revised, shown, below]])
    codes = trend_baseline(staff, leaders)
    assert codes["staff"].tolist() == [[shown, shown, below, revised]]
    assert codes["patient_leader"].tolist() == [[shown, revised, shown, below]]
    assert codes["combined"].tolist() == [[shown, revised, below, revised]]
