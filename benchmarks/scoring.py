"""Scoring-engine figures on a synthetic, seeded campaign: 200 organisations x 1,000
respondents x 30 scored items (6 domains x 5 rungs, ~10% "don't know").

Times `score_respondents` (best of 3) against the plain-Python reference in tests/reference.py
(timed on a slice and scaled; target: engine >= 50x faster) and against bare numpy passes over
the same matrix (target: engine within 5x), then the benchmarking layer over every
organisation, and reports peak traced memory; then a full rebuild of the same size from
SQLite and from PostgreSQL (benchmarks/rebuild.py: wall time, rows per second; target 15 s).

    .venv/bin/python benchmarks/scoring.py [--orgs 200] [--per-org 1000] [--slice 2000]
                                           [--no-rebuild] [--skip-postgres]

The engine part lives in functions (`synthetic_campaign`, `engine_figures`,
`benchmarking_figures`, `print_table`) so that other benchmarks can reuse it.
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assessor.benchmarking import (  # noqa: E402
    combine,
    funnel_from_cells,
    funnel_from_values,
    gap,
    group_statistics,
    percentile_ranks,
    summarise_cells,
)
from assessor.scoring.engine import ScoringModel, score_respondents  # noqa: E402
from tests.support import reference  # noqa: E402

N_DOMAINS, N_RUNGS, THRESHOLD = 6, 5, 0.75
DONT_KNOW = 0.10


def synthetic_model() -> ScoringModel:
    """One item per (domain, rung), domain-major: 30 scored items."""
    domain, rung = np.divmod(np.arange(N_DOMAINS * N_RUNGS), N_RUNGS)
    return ScoringModel(domain, rung + 1, N_DOMAINS, N_RUNGS, THRESHOLD)


def synthetic_campaign(
    n_orgs: int = 200, per_org: int = 1000, seed: int = 20240601
) -> tuple[ScoringModel, np.ndarray, np.ndarray]:
    """(model, values (n_orgs * per_org, 30) with NaN for "don't know", org index per row).

    Each organisation has its own maturity, so answers fall off up the ladder at different
    rungs and every level occurs."""
    rng = np.random.default_rng(seed)
    model = synthetic_model()
    maturity = rng.uniform(0.5, 5.0, n_orgs)
    org = np.repeat(np.arange(n_orgs), per_org)
    person = maturity[org] + rng.normal(0.0, 0.8, org.size)
    centre = 4.0 - 1.2 * (model.item_rung[None, :] - person[:, None])
    values = np.clip(np.rint(centre + rng.normal(0.0, 0.9, centre.shape)), 0, 4)
    values[rng.random(values.shape) < DONT_KNOW] = np.nan
    return model, values, org


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def reference_pass(values: np.ndarray, model: ScoringModel) -> None:
    domains, rungs = model.item_domain.tolist(), model.item_rung.tolist()
    for row in values.tolist():
        reference.score_respondent(
            [None if v != v else v for v in row],
            domains,
            rungs,
            model.n_domains,
            model.n_rungs,
            model.threshold,
        )


def engine_figures(model: ScoringModel, values: np.ndarray, slice_rows: int = 2000) -> dict:
    n = values.shape[0]
    engine = best_of(lambda: score_respondents(values, model))
    part = values[:slice_rows]
    ref_slice = best_of(lambda: reference_pass(part, model))
    ref_scaled = ref_slice * n / part.shape[0]
    nanmean = best_of(lambda: np.nanmean(values, axis=1))
    filled = np.nan_to_num(values)
    indicator = np.zeros((model.n_items, model.n_domains * model.n_rungs))
    indicator[np.arange(model.n_items), model.item_domain * model.n_rungs + model.item_rung - 1] = 1
    matmul = best_of(lambda: filled @ indicator)

    tracemalloc.start()
    score_respondents(values, model)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "respondents": n,
        "items": values.shape[1],
        "engine_s": engine,
        "reference_slice_rows": part.shape[0],
        "reference_slice_s": ref_slice,
        "reference_scaled_s": ref_scaled,
        "nanmean_s": nanmean,
        "matmul_s": matmul,
        "peak_mb": peak / 2**20,
        "input_mb": values.nbytes / 2**20,
    }


def benchmarking_figures(
    model: ScoringModel, values: np.ndarray, org: np.ndarray, k: int = 5, n_regions: int = 7
) -> dict:
    """Cell statistics of two audiences (alternate respondents), combined, gap, percentiles,
    group statistics and funnels for every measure, over the national group and regions."""
    scores = score_respondents(values, model)
    measures = np.column_stack([scores.overall, scores.domain_scores])
    n_orgs = int(org.max()) + 1
    audience = np.arange(org.size) % 2
    stats = {}
    for a in (0, 1):
        rows = audience == a
        present = ~np.isnan(measures[rows])
        filled = np.where(present, measures[rows], 0.0)
        idx = org[rows]
        n = np.zeros((n_orgs, measures.shape[1]))
        total = np.zeros_like(n)
        total_sq = np.zeros_like(n)
        np.add.at(n, idx, present)
        np.add.at(total, idx, filled)
        np.add.at(total_sq, idx, filled * filled)
        stats[a] = (n.astype(np.int64), total, total_sq)
    region = np.arange(n_orgs) % n_regions

    def run() -> None:
        staff = summarise_cells(*stats[0], k, N_RUNGS)
        patient = summarise_cells(*stats[1], k, N_RUNGS)
        combined = combine(staff, patient, N_RUNGS)
        gap(staff, patient, N_RUNGS)
        for j in range(measures.shape[1]):
            for labels in (np.zeros(n_orgs, dtype=np.int64), region):
                percentile_ranks(combined.value[:, j], combined.shown[:, j], labels)
                for g in np.unique(labels):
                    m = labels == g
                    group_statistics(combined.value[m, j], combined.shown[m, j], N_RUNGS)
                    funnel_from_values(
                        combined.value[m, j], combined.se[m, j], combined.shown[m, j]
                    )
                    n, total, total_sq = stats[0]
                    funnel_from_cells(n[m, j], total[m, j], total_sq[m, j], staff.shown[m, j])

    return {"orgs": n_orgs, "measures": measures.shape[1], "benchmarking_s": best_of(run)}


def print_table(rows: list[tuple[str, str, str]]) -> None:
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    line = "+-" + "-+-".join("-" * w for w in width) + "-+"
    print(line)
    for i, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, width, strict=True)) + " |")
        if i == 0:
            print(line)
    print(line)


def engine_rows(e: dict, b: dict | None = None) -> list[tuple[str, str, str]]:
    ref_ratio = e["reference_scaled_s"] / e["engine_s"]
    nanmean_ratio = e["engine_s"] / e["nanmean_s"]
    matmul_ratio = e["engine_s"] / e["matmul_s"]
    rows = [
        ("figure", "value", "target"),
        ("respondents x scored items", f"{e['respondents']:,} x {e['items']}", ""),
        ("score_respondents (best of 3)", f"{e['engine_s'] * 1000:.1f} ms", ""),
        (
            f"reference on {e['reference_slice_rows']:,} rows",
            f"{e['reference_slice_s'] * 1000:.1f} ms",
            "",
        ),
        ("reference, scaled to all rows", f"{e['reference_scaled_s']:.2f} s", ""),
        ("speed-up over reference", f"{ref_ratio:,.0f}x", ">= 50x " + _ok(ref_ratio >= 50)),
        ("bare np.nanmean(values, axis=1)", f"{e['nanmean_s'] * 1000:.1f} ms", ""),
        ("engine / nanmean", f"{nanmean_ratio:.2f}x", "<= 5x " + _ok(nanmean_ratio <= 5)),
        ("bare matmul values @ (items, D*R) 0/1", f"{e['matmul_s'] * 1000:.1f} ms", ""),
        ("engine / matmul", f"{matmul_ratio:.2f}x", "<= 5x " + _ok(matmul_ratio <= 5)),
        (
            "peak traced memory of scoring",
            f"{e['peak_mb']:.1f} MiB",
            f"input {e['input_mb']:.1f} MiB",
        ),
    ]
    if b is not None:
        rows.append(
            (
                f"benchmarking {b['orgs']} orgs x {b['measures']} measures",
                f"{b['benchmarking_s'] * 1000:.1f} ms",
                "cells, combined, gap, ranks, groups, funnels",
            )
        )
    return rows


def _ok(passed: bool) -> str:
    return "(ok)" if passed else "(MISSED)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--per-org", type=int, default=1000)
    parser.add_argument("--slice", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--no-rebuild", action="store_true", help="skip the database rebuilds")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    model, values, org = synthetic_campaign(args.orgs, args.per_org, args.seed)
    e = engine_figures(model, values, args.slice)
    b = benchmarking_figures(model, values, org)
    print_table(engine_rows(e, b))
    if not args.no_rebuild:
        import rebuild  # benchmarks/rebuild.py, beside this script

        figures = rebuild.run_all(args.orgs, args.per_org, 1, postgres=not args.skip_postgres)
        rebuild.print_rebuild(figures, args.orgs * args.per_org)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak resident memory, database rebuilds included: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
