"""THE rule of what may be shown (design.md, "Disclosure"; scoring.md s.3 and s.6).

Every number and count that leaves the service to anyone but an administrator (pages, API,
CSV, charts, reports, tallies, comment sections, live counts) is decided here and nowhere
else: k, the differencing rule against every earlier publication, trend baselines as the
previous publication allows, counts of open campaigns as at the end of the previous day
("fewer than k" below k), and free-text sections. Surfaces ask; none re-implements a
threshold. Pure: numpy and plain values in and out, no database, no Flask.
"""

from assessor.disclosure.rule import (
    AWAITING_PUBLICATION,
    BELOW_MINIMUM,
    CAMPAIGN_OPEN,
    FEWER_THAN_K,
    MIN_FREE_TEXT,
    NO_PREVIOUS,
    NOT_COMPARABLE,
    PATIENT_LEADER_BELOW_MINIMUM,
    PRECISE_FROM,
    REASON_CODE,
    REASONS,
    REVISION_BELOW_MINIMUM,
    SHOWN,
    STAFF_BELOW_MINIMUM,
    Count,
    Tally,
    comments_shown,
    counts_as_of,
    differenced,
    imprecise,
    in_group_statistics,
    k_of,
    open_count,
    open_counts,
    reaches_k,
    released,
    tally,
    trend_baseline,
)

__all__ = [
    "AWAITING_PUBLICATION",
    "BELOW_MINIMUM",
    "CAMPAIGN_OPEN",
    "FEWER_THAN_K",
    "MIN_FREE_TEXT",
    "NOT_COMPARABLE",
    "PRECISE_FROM",
    "NO_PREVIOUS",
    "PATIENT_LEADER_BELOW_MINIMUM",
    "REASONS",
    "REASON_CODE",
    "REVISION_BELOW_MINIMUM",
    "SHOWN",
    "STAFF_BELOW_MINIMUM",
    "Count",
    "Tally",
    "comments_shown",
    "counts_as_of",
    "differenced",
    "imprecise",
    "in_group_statistics",
    "k_of",
    "open_count",
    "open_counts",
    "reaches_k",
    "released",
    "tally",
    "trend_baseline",
]
