"""Cell statistics, comparisons and group benchmarks (scoring.md s.3 to s.5): pure numpy and
scipy, working from cell sufficient statistics, never from raw answers."""

from assessor.benchmarking.cells import (
    CellSummary,
    Comparison,
    combine,
    delta,
    delta_combined,
    gap,
    sample_variance,
    summarise_cells,
)
from assessor.benchmarking.funnel import Funnel, funnel_from_cells, funnel_from_values
from assessor.benchmarking.groups import group_statistics, percentile_ranks

__all__ = [
    "CellSummary",
    "Comparison",
    "Funnel",
    "combine",
    "delta",
    "delta_combined",
    "funnel_from_cells",
    "funnel_from_values",
    "gap",
    "group_statistics",
    "percentile_ranks",
    "sample_variance",
    "summarise_cells",
]
