"""Each principle's combined figure for every organisation of a campaign, so that the report
by principle can set an organisation against the same principle nationally: its principles
differ in how hard their items' rungs are, so raw shares rank principles by difficulty, not
by how well the organisation does (issue 18)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assessor.benchmarking import percentile_ranks
from assessor.disclosure import in_group_statistics
from assessor.models.campaign import AUDIENCES
from assessor.results.snapshot import Snapshot


@dataclass(frozen=True)
class NationalPrinciple:
    #: organisations whose combined figure on the principle is shown
    n_orgs: int
    median: float | None
    #: 100 * (B + 0.5 E) / N of each organisation, NaN where not shown
    percentile: np.ndarray


def principle_values(snapshot: Snapshot, columns: list[int]) -> np.ndarray:
    """(n_orgs,) combined figure on one principle: per audience the mean of the mapped items'
    shown means, then staff and patient leaders weighed equally; NaN unless both are shown.
    Item means are already NaN wherever disclosure withholds them."""
    per_audience = []
    for a in AUDIENCES:
        means = np.asarray(snapshot[f"item.{a}.mean"], dtype=np.float64)[:, columns]
        shown = ~np.isnan(means)
        count = shown.sum(axis=1)
        total = np.where(shown, means, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_audience.append(np.where(count > 0, total / np.maximum(count, 1), np.nan))
    return (per_audience[0] + per_audience[1]) / 2


def national(snapshot: Snapshot, columns: list[int]) -> NationalPrinciple:
    values = principle_values(snapshot.complete(), columns)
    members = in_group_statistics(values)
    everyone = np.zeros(values.shape, dtype=np.int64)
    ranks = percentile_ranks(values, members, everyone)
    n = int(members.sum())
    return NationalPrinciple(n, float(np.median(values[members])) if n else None, ranks)
