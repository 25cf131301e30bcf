"""One-sentence readings of an organisation's published results, in plain words, made from
the same numbers the charts and tables show (the read model's OrgResult and GroupResult).

A reading counts; it never computes a statistic. "Larger than chance" means the published
95% interval excludes zero (scoring.md s.3), nothing more.
"""

from __future__ import annotations

from assessor.results.records import GroupResult, OrgResult


def _areas(n: int) -> str:
    return f"{n} area" if n == 1 else f"{n} areas"


def against_medians(
    item: OrgResult, regional: GroupResult | None, national: GroupResult | None
) -> str:
    """Where the organisation's area levels stand against the regional and national medians."""
    shown = {key: m.score for key, m in item.domains.items() if not m.suppressed}
    total = len(item.domains)
    if not shown:
        return "No area can be shown for this organisation, so it is not compared with others."
    parts = []
    for name, group in (
        ("the national median", national),
        (f"the median in {item.organisation.region}", regional),
    ):
        if group is None:
            continue
        medians = {key: group.domains[key].median for key in shown}
        compared = {key: m for key, m in medians.items() if m is not None}
        if not compared:
            continue
        # Compared as printed (two decimals), so a reader can check the sentence on the table.
        above = sum(1 for key, m in compared.items() if round(shown[key], 2) > round(m, 2))
        parts.append(f"above {name} in {above} of {_areas(len(compared))}")
    if not parts:
        return "There are no medians to compare with."
    sentence = "Rated " + " and ".join(parts)
    hidden = total - len(shown)
    if hidden:
        sentence += f" ({_areas(hidden)} not shown)"
    return sentence + "."


def gap(item: OrgResult) -> str:
    """Whether patient leaders see less sharing of power than staff, area by area."""
    shown = [g for g in item.gap.domains.values() if not g.suppressed]
    if not shown:
        return "Staff and patient leaders cannot be compared in any area: too few responded."
    less = sum(1 for g in shown if round(g.staff_minus_patient_leader, 2) > 0)
    more = sum(1 for g in shown if round(g.staff_minus_patient_leader, 2) < 0)
    clear = sum(1 for g in shown if g.significant)
    n = len(shown)
    if less >= more:
        sentence = f"Patient leaders see less sharing of power than staff in {less} of {_areas(n)}"
        if more:
            sentence += f" and more in {more}"
    else:
        sentence = f"Patient leaders see more sharing of power than staff in {more} of {_areas(n)}"
        if less:
            sentence += f" and less in {less}"
    if clear == 0:
        sentence += "; no difference is larger than chance alone would explain."
    else:
        sentence += f"; the difference is larger than chance alone would explain in {clear}."
    return sentence


def trend(item: OrgResult, previous_title: str) -> str | None:
    """How the rating moved since the previous campaign on the areas that can be compared;
    None when there is no trend to read."""
    shown = [
        t
        for key, t in item.trend.domains.items()
        if key in item.trend.comparable_domains and not t.suppressed
    ]
    if not shown:
        return None
    up = sum(1 for t in shown if round(t.delta, 2) > 0)
    down = sum(1 for t in shown if round(t.delta, 2) < 0)
    clear_up = sum(1 for t in shown if t.significant and t.delta > 0)
    clear_down = sum(1 for t in shown if t.significant and t.delta < 0)
    sentence = (
        f"Compared with {previous_title}, the rating went up in {up} and down in {down}"
        f" of the {_areas(len(shown))} that can be compared"
    )
    if clear_up + clear_down == 0:
        return sentence + "; no change is larger than chance alone would explain."
    changes = []
    if clear_up:
        changes.append(f"{clear_up} up")
    if clear_down:
        changes.append(f"{clear_down} down")
    return sentence + f"; larger than chance alone would explain: {' and '.join(changes)}."
