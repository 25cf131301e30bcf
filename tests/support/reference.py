"""A plain-Python reference implementation of scoring.md, written for clarity, not speed.

Lists, loops and the statistics module; scipy only for Student's t quantile. It works from
raw values (never from sufficient statistics) so that agreeing with the engine checks the
algebra as well as the vectorisation. None stands for "no value" throughout.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from scipy.stats import t as student_t

Z95 = 1.959964
Z998 = 3.090232


def level(x: float | None, n_rungs: int) -> int | None:
    if x is None:
        return None
    return min(n_rungs, math.floor(x + 1e-9))


def r9(x: float) -> float:
    return round(x, 9)


def t975(df: float) -> float:
    return float(student_t.ppf(0.975, df))


# --------------------------------------------------------------------------- one answer

SCALE = {"strongly_disagree": 0, "disagree": 1, "neutral": 2, "agree": 3, "strongly_agree": 4}
#: A fact item's answers, as values on the same 0..4 scale: yes 1, partly 0.5, no 0.
FACT = {"yes": 4, "partly": 2, "no": 0}


def answer_value(
    answer: object, not_happening_offered: bool, kind: str = "agreement"
) -> float | None:
    """The value of one answer (scoring.md s.2): the scale 0..4; "This does not happen
    here" 0 where the version offers it; a fact item's yes 4, partly 2, no 0; "don't know",
    no answer or anything else None (unanswered)."""
    if not isinstance(answer, str):
        return None
    if kind == "fact":
        return FACT.get(answer)
    if answer == "not_happening":
        return 0 if not_happening_offered else None
    return SCALE.get(answer)


# --------------------------------------------------------------------------- one respondent


@dataclass
class RespondentResult:
    attainment: list[list[float | None]]  # [domain][rung - 1]
    levels: list[int | None]
    scores: list[float | None]
    overall: float | None


def score_respondent(
    answers: list[float | None],
    item_domain: list[int],
    item_rung: list[int],
    n_domains: int,
    n_rungs: int,
    threshold: float,
    shown: list[bool] | None = None,
    min_share: float = 0.5,
) -> RespondentResult:
    """`answers[j]` is the value 0..4 of scored item j, or None (unanswered or don't know);
    `shown[j]` whether the respondent was shown it (all when None). A domain is scored when
    at least `min_share` of its shown items are answered (rule set 2: half), and one."""
    shown = shown if shown is not None else [True] * len(answers)
    attainment: list[list[float | None]] = []
    levels: list[int | None] = []
    scores: list[float | None] = []
    for d in range(n_domains):
        rung_attainment: list[float | None] = []
        in_domain = [j for j in range(len(answers)) if item_domain[j] == d]
        n_shown = sum(1 for j in in_domain if shown[j])
        n_answered = sum(1 for j in in_domain if answers[j] is not None)
        answered_any = n_answered >= 1 and n_answered >= min_share * n_shown
        for r in range(1, n_rungs + 1):
            contributions = [
                answers[j] / 4
                for j in range(len(answers))
                if item_domain[j] == d and item_rung[j] == r and answers[j] is not None
            ]
            if contributions:
                rung_attainment.append(sum(contributions) / len(contributions))
            else:
                rung_attainment.append(None)
        attainment.append(rung_attainment)
        if not answered_any:
            levels.append(None)
            scores.append(None)
            continue
        lvl = 0
        for a in rung_attainment:
            if a is not None and r9(a) >= r9(threshold):
                lvl += 1
            else:
                break
        partial = 0.0
        if lvl < n_rungs and rung_attainment[lvl] is not None:
            partial = rung_attainment[lvl] / threshold
        levels.append(lvl)
        scores.append(lvl + partial)
    present = [s for s in scores if s is not None]
    overall = sum(present) / len(present) if present else None
    return RespondentResult(attainment, levels, scores, overall)


def rung_profile(
    results: list[RespondentResult], threshold: float
) -> tuple[list[list[int]], list[list[int]]]:
    """(met, defined) per [domain][rung - 1] over respondents (scoring.md s.3): a rung is met
    when its own attainment reaches the threshold, whatever the rungs below it."""
    n_domains = len(results[0].attainment) if results else 0
    n_rungs = len(results[0].attainment[0]) if results and n_domains else 0
    met = [[0] * n_rungs for _ in range(n_domains)]
    defined = [[0] * n_rungs for _ in range(n_domains)]
    for result in results:
        for d in range(n_domains):
            for r in range(n_rungs):
                a = result.attainment[d][r]
                if a is None:
                    continue
                defined[d][r] += 1
                if r9(a) >= r9(threshold):
                    met[d][r] += 1
    return met, defined


def answer_profile(
    answers: list[dict[str, str]], link_ids: list[str], not_happening_offered: bool
) -> tuple[list[int], list[int]]:
    """(dont_know, not_happening) counts per item, in link_ids order."""
    dont_know = [sum(1 for a in answers if a.get(link_id) == "dont_know") for link_id in link_ids]
    absent = [
        sum(1 for a in answers if not_happening_offered and a.get(link_id) == "not_happening")
        for link_id in link_ids
    ]
    return dont_know, absent


# --------------------------------------------------------------------------- one cell


@dataclass
class Cell:
    n: int
    shown: bool
    mean: float | None = None
    sd: float | None = None
    se: float | None = None
    ci: tuple[float, float] | None = None


def interval(x: float, se: float, quantile: float) -> tuple[float, float]:
    if se == 0:
        return (x, x)
    return (x - quantile * se, x + quantile * se)


def bounded(x: float, se: float, df: float, n: int, r: int = 5) -> tuple[float, float]:
    """scoring.md s.3's bounded interval, spelt out: Wilson's interval on n_eff."""
    y, e = x / r, se / r
    n_eff = y * (1 - y) / e**2 if e > 0 else n
    q = t975(df)
    c = (y + q**2 / (2 * n_eff)) / (1 + q**2 / n_eff)
    h = q * math.sqrt(y * (1 - y) / n_eff + q**2 / (4 * n_eff**2)) / (1 + q**2 / n_eff)
    return (r * (c - h), r * (c + h))


def clip(ci: tuple[float, float], r: int = 5) -> tuple[tuple[float, float], bool]:
    return (max(-r, ci[0]), min(r, ci[1])), ci[0] < -r or ci[1] > r


def summarise(values: list[float], k: int, r: int = 5) -> Cell:
    """A cell from its respondents' values for one measure."""
    n = len(values)
    if n < k:
        return Cell(n=n, shown=False)
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if n >= 2 else None
    if sd is None:
        return Cell(n=n, shown=True, mean=mean)
    se = sd / math.sqrt(n)
    return Cell(n=n, shown=True, mean=mean, sd=sd, se=se, ci=bounded(mean, se, n - 1, n, r))


@dataclass
class Compared:
    shown: bool
    reason: str | None
    value: float | None = None
    se: float | None = None
    df: float | None = None
    ci: tuple[float, float] | None = None
    significant: bool = False
    clipped: bool = False


def excludes_zero(ci: tuple[float, float]) -> bool:
    return r9(ci[0]) > 0 or r9(ci[1]) < 0


def welch(a: Cell, b: Cell) -> tuple[float, float | None]:
    """(se of the difference, Welch df); df is None when both variances are 0."""
    va = a.sd**2 / a.n
    vb = b.sd**2 / b.n
    se = math.sqrt(va + vb)
    denominator = va**2 / (a.n - 1) + vb**2 / (b.n - 1)
    df = (va + vb) ** 2 / denominator if denominator > 0 else None
    return se, df


def _pair_reason(staff: Cell, patient: Cell) -> str | None:
    if not patient.shown:
        return "patient_leader_below_minimum"
    if not staff.shown:
        return "staff_below_minimum"
    return None


def combined(staff: Cell, patient: Cell) -> Compared:
    reason = _pair_reason(staff, patient)
    if reason:
        return Compared(False, reason)
    se, df = welch(staff, patient)
    value = (staff.mean + patient.mean) / 2
    se = se / 2
    n = staff.n + patient.n
    ci = bounded(value, se, df if df is not None else n - 2, n)
    return Compared(True, None, value, se, df, ci, False)


def _difference(a: Cell, b: Cell, reason: str | None) -> Compared:
    if reason:
        return Compared(False, reason)
    se, df = welch(a, b)
    value = a.mean - b.mean
    ci, clipped = clip(interval(value, se, t975(df) if df is not None else math.nan))
    return Compared(True, None, value, se, df, ci, excludes_zero(ci), clipped)


def gap(staff: Cell, patient: Cell) -> Compared:
    return _difference(staff, patient, _pair_reason(staff, patient))


def delta(now: Cell, before: Cell) -> Compared:
    return _difference(now, before, None if now.shown and before.shown else "below_minimum")


def delta_combined(now: Compared, before: Compared) -> Compared:
    if not (now.shown and before.shown):
        return Compared(False, "below_minimum")
    value = now.value - before.value
    se = math.sqrt(now.se**2 + before.se**2)
    ci, clipped = clip(interval(value, se, Z95))
    return Compared(True, None, value, se, math.inf, ci, excludes_zero(ci), clipped)


# --------------------------------------------------------------------------- groups


def percentile_linear(values: list[float], p: float) -> float:
    """numpy's default ("linear") percentile, spelt out."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * p / 100
    lo = math.floor(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


def group_statistics(values: list[float | None], shown: list[bool], n_rungs: int) -> dict:
    kept = [v for v, s in zip(values, shown, strict=True) if s]
    levels = {str(i): 0 for i in range(n_rungs + 1)}
    body = {
        "n_orgs": len(kept),
        "n_suppressed": len(values) - len(kept),
        "mean": None,
        "median": None,
        "q1": None,
        "q3": None,
        "min": None,
        "max": None,
        "levels": levels,
    }
    if not kept:
        return body
    for v in kept:
        levels[str(level(v, n_rungs))] += 1
    body.update(
        mean=statistics.fmean(kept),
        median=percentile_linear(kept, 50),
        q1=percentile_linear(kept, 25),
        q3=percentile_linear(kept, 75),
        min=min(kept),
        max=max(kept),
    )
    return body


def percentile_ranks(
    values: list[float | None], shown: list[bool], group: list[int]
) -> list[float | None]:
    ranks: list[float | None] = []
    for i, value in enumerate(values):
        if not shown[i]:
            ranks.append(None)
            continue
        peers = [
            round(values[j], 6) for j in range(len(values)) if shown[j] and group[j] == group[i]
        ]
        own = round(value, 6)
        below = sum(1 for p in peers if p < own)
        equal = sum(1 for p in peers if p == own)
        ranks.append(100 * (below + 0.5 * equal) / len(peers))
    return ranks


# --------------------------------------------------------------------------- funnels


@dataclass
class FunnelResult:
    target: float | None
    phi: float | None
    tau2: float | None
    bands: list[str | None]
    limits: list[tuple[float, float, float, float] | None]  # lower95, upper95, lower998, upper998


def _funnel(
    y: list[float | None], s: list[float | None], shown: list[bool], target: float | None
) -> FunnelResult:
    idx = [i for i in range(len(y)) if shown[i]]
    none = FunnelResult(target, None, None, [None] * len(y), [None] * len(y))
    if target is None or len(idx) < 3 or any(not (s[i] > 0 and math.isfinite(s[i])) for i in idx):
        return none
    z = [(y[i] - target) / s[i] for i in idx]
    low, high = percentile_linear(z, 10), percentile_linear(z, 90)
    winsorised = [min(max(zi, low), high) for zi in z]
    phi = sum(zi * zi for zi in winsorised) / len(winsorised)
    w = [1 / s[i] ** 2 for i in idx]
    count = len(idx)
    tau2 = max(0.0, (count * phi - (count - 1)) / (sum(w) - sum(wi * wi for wi in w) / sum(w)))
    bands: list[str | None] = [None] * len(y)
    limits: list[tuple[float, float, float, float] | None] = [None] * len(y)
    for i in idx:
        spread = math.sqrt(s[i] ** 2 + tau2)
        lo95, hi95 = target - Z95 * spread, target + Z95 * spread
        lo998, hi998 = target - Z998 * spread, target + Z998 * spread
        limits[i] = (lo95, hi95, lo998, hi998)
        v = r9(y[i])
        if v > r9(hi998):
            bands[i] = "high_99.8"
        elif v > r9(hi95):
            bands[i] = "high_95"
        elif v < r9(lo998):
            bands[i] = "low_99.8"
        elif v < r9(lo95):
            bands[i] = "low_95"
        else:
            bands[i] = "within"
    return FunnelResult(target, phi, tau2, bands, limits)


def funnel_from_respondents(respondents: list[list[float]], shown: list[bool]) -> FunnelResult:
    """Staff / patient-leader funnel from each organisation's respondent-level values."""
    pooled = [v for values, s in zip(respondents, shown, strict=True) if s for v in values]
    if not pooled:
        return _funnel([None] * len(shown), [None] * len(shown), shown, None)
    target = statistics.fmean(pooled)
    sigma = statistics.stdev(pooled) if len(pooled) >= 2 else math.nan
    y: list[float | None] = []
    s: list[float | None] = []
    for values, is_shown in zip(respondents, shown, strict=True):
        y.append(statistics.fmean(values) if is_shown else None)
        s.append(sigma / math.sqrt(len(values)) if is_shown else None)
    return _funnel(y, s, shown, target)


def funnel_from_values(
    y: list[float | None], se: list[float | None], shown: list[bool]
) -> FunnelResult:
    kept = [y[i] for i in range(len(y)) if shown[i]]
    target = statistics.fmean(kept) if kept else None
    return _funnel(y, se, shown, target)
