"""The disclosure rule itself: which counts gate a shown number, and when a count is shown.

A value is shown when the count behind it reaches k and it does not differ, by 1..k-1
people, from the count behind the same value the last time a publication showed it
(scoring.md s.6, the differencing rule). Each decision returns the reference count the next
publication compares with, so that every surface carries its own reference forward.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Protocol

import numpy as np

#: Reason codes as stored in publication arrays; 0 means shown (scoring.md, "Reasons").
REASONS: tuple[str | None, ...] = (
    None,
    "below_minimum",
    "patient_leader_below_minimum",
    "staff_below_minimum",
    "campaign_open",
    "not_comparable",
    "no_previous",
    "revision_below_minimum",
    "awaiting_publication",
)
REASON_CODE: dict[str | None, int] = {reason: code for code, reason in enumerate(REASONS)}
SHOWN = 0
BELOW_MINIMUM = "below_minimum"
PATIENT_LEADER_BELOW_MINIMUM = "patient_leader_below_minimum"
STAFF_BELOW_MINIMUM = "staff_below_minimum"
CAMPAIGN_OPEN = "campaign_open"
NOT_COMPARABLE = "not_comparable"
NO_PREVIOUS = "no_previous"
REVISION_BELOW_MINIMUM = "revision_below_minimum"
#: The closing date has passed and the first publication is not made yet (never stored).
AWAITING_PUBLICATION = "awaiting_publication"

#: A free-text section is shown only for a cell with at least this many respondents
#: (design.md: comments where the cell has at least 10), and never below k.
MIN_FREE_TEXT = 10


class _HasK(Protocol):
    min_respondents: int


def k_of(campaign: _HasK) -> int:
    """The campaign's k: recorded with the campaign at creation, the one source of k."""
    return int(campaign.min_respondents)


#: A shown measure resting on fewer respondents than this is `imprecise` (scoring.md s.3):
#: pages say "fewer than 10 answered: read with care".
PRECISE_FROM = 10


def imprecise(shown: Any, n: Any) -> np.ndarray:
    """Whether each shown measure rests on fewer than PRECISE_FROM respondents."""
    return np.asarray(shown, dtype=bool) & (np.asarray(n) < PRECISE_FROM)


def in_group_statistics(values: Any) -> np.ndarray:
    """Which organisations' values enter a group statistic (a median, a percentile rank):
    only those shown to readers, so that no withheld value can be recovered from a group's
    numbers by subtraction (scoring.md s.4). `values` are already NaN where withheld."""
    return ~np.isnan(np.asarray(values, dtype=np.float64))


def reaches_k(n: Any, k: int) -> np.ndarray:
    """Whether each count reaches k, the first condition for showing what it counts; k is
    at least 1, so that no number is ever shown from nobody."""
    if k < 1:
        raise ValueError("k must be at least 1")
    return np.asarray(n) >= k


def differenced(
    n: Any, k: int, ref: Any | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shown, reason code, next reference) for counts `n` under k and the differencing
    rule against `ref`, the counts as at the last publication that showed each value (0
    where none did). A value is withheld with `below_minimum` when n < k, and with
    `revision_below_minimum` when it was shown at ref and 1..k-1 people have left since."""
    n = np.asarray(n, dtype=np.int64)
    enough = n >= k
    reason = np.where(enough, SHOWN, REASON_CODE[BELOW_MINIMUM]).astype(np.int8)
    if ref is None:
        return enough, reason, np.where(enough, n, 0)
    ref = np.asarray(ref, dtype=np.int64)
    left = ref - n
    revised = enough & (ref > 0) & (left >= 1) & (left <= k - 1)
    reason[revised] = REASON_CODE[REVISION_BELOW_MINIMUM]
    shown = enough & ~revised
    return shown, reason, np.where(shown, n, ref)


def trend_baseline(staff: np.ndarray, patient_leader: np.ndarray) -> dict[str, np.ndarray]:
    """Reason codes the previous campaign's latest publication gives each cell measure
    (staff, patient leaders; 0 where shown) -> the code withholding each audience's trend
    on that baseline (scoring.md s.6: "as that latest publication allows", in the follower's
    every publication, first included). The combined trend needs both cells: it is withheld
    as revised when either was, else below the minimum when either was withheld."""
    staff = np.asarray(staff, dtype=np.int8)
    patient_leader = np.asarray(patient_leader, dtype=np.int8)
    either = (staff != SHOWN) | (patient_leader != SHOWN)
    revised = REASON_CODE[REVISION_BELOW_MINIMUM]
    combined = np.where(either, REASON_CODE[BELOW_MINIMUM], SHOWN)
    combined[(staff == revised) | (patient_leader == revised)] = revised
    return {
        "staff": np.where(staff != SHOWN, staff, SHOWN).astype(np.int8),
        "patient_leader": np.where(patient_leader != SHOWN, patient_leader, SHOWN).astype(np.int8),
        "combined": combined.astype(np.int8),
    }


@dataclass(frozen=True)
class Tally:
    """Counts of answers (co-signatures, verdicts) as they may be shown: `counts` and `n`
    are None with a `reason` when withheld. `ref_n` is for the next publication only."""

    counts: dict[str, int] | None
    n: int | None
    reason: str | None
    ref_n: int = field(default=0, compare=False)

    @property
    def suppressed(self) -> bool:
        return self.reason is not None


def tally(counts: Mapping[str, int], n: int, k: int, ref_n: int = 0) -> Tally:
    """A tally over `n` people, under the same rule as every score (`differenced`)."""
    shown, reason, ref = differenced(np.array([n]), k, np.array([ref_n]))
    if not bool(shown[0]):
        return Tally(None, None, REASONS[int(reason[0])], int(ref[0]))
    return Tally(dict(counts), int(n), None, int(ref[0]))


def released(steps: Iterable[tuple[Mapping[str, int], int]], k: int) -> Tally:
    """A tally that only grows (co-signatures as at the end of each day, oldest step first)
    as it may be shown now. A step is released when it reaches k and lies at least k people
    from the last step released; between releases that step stays shown. So no two tallies
    ever shown are 1..k-1 people apart (the differencing rule for a growing count: one more
    co-signature a day later would otherwise show its answer). Below k throughout: withheld."""
    shown = Tally(None, None, BELOW_MINIMUM)
    for counts, n in steps:
        first = shown.n is None and n >= k
        if first or (shown.n is not None and n - shown.n >= k):
            shown = Tally(dict(counts), int(n), None, int(n))
    return shown


@dataclass(frozen=True)
class Count:
    """A count as anyone but an administrator may read it while a campaign is open: its
    value as at the end of the previous day, or only that it is fewer than k."""

    value: int | None
    fewer_than: int | None
    as_of: datetime | None = None

    def __str__(self) -> str:
        return f"fewer than {self.fewer_than}" if self.value is None else str(self.value)


def counts_as_of(now: datetime) -> datetime:
    """The moment live counts are read as at: the end of the previous day (midnight UTC
    today), so that no count changes while the day goes on and nobody can time one answer."""
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)


def open_count(n: int, k: int, as_of: datetime | None = None) -> Count:
    """`n` (counted as at `counts_as_of`) as it may be shown: itself from k on, else
    "fewer than k". Zero is not special: "fewer than k" says nothing about one person."""
    return Count(int(n), None, as_of) if n >= k else Count(None, k, as_of)


#: A count withheld as "fewer than k" in a counts array.
FEWER_THAN_K = -1


def open_counts(n: Any, k: int) -> np.ndarray:
    """Counts of an open campaign (as at `counts_as_of`) as they may be shown: each itself
    from k on, `FEWER_THAN_K` below (zero included: "fewer than k" says nothing of one
    person)."""
    n = np.asarray(n, dtype=np.int64)
    return np.where(n >= k, n, FEWER_THAN_K)


def comments_shown(n_respondents: int, k: int) -> bool:
    """Whether a cell's free-text section may be shown."""
    return n_respondents >= max(MIN_FREE_TEXT, k)
