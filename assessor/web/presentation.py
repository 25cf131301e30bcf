"""Words and number formats for the HTML pages. Templates never compute statistics: every
number arrives from the results read model (assessor.results.reading); this module only says
it in plain English."""

from __future__ import annotations

from flask import Flask

from assessor.questionnaires.definition import Questionnaire

AUDIENCE_LABELS = {
    "combined": "Combined rating (staff and patient leaders weighed equally)",
    "staff": "Staff only (one voice's view, not the rating)",
    "patient_leader": "Patient leaders only (one voice's view, not the rating)",
}
NOT_YET_LABEL = "Informing only"


def reason_text(reason: str | None, k: int) -> str:
    """Why a value is not shown, in words (scoring.md, "Reasons")."""
    texts = {
        "below_minimum": f"Not shown (fewer than {k} respondents)",
        "patient_leader_below_minimum": f"Not shown (fewer than {k} patient leaders responded)",
        "staff_below_minimum": f"Not shown (fewer than {k} staff responded)",
        "campaign_open": "Not shown until the campaign closes",
        "awaiting_publication": (
            "Not shown yet: the closing date has passed, and results will be published shortly"
        ),
        "not_comparable": (
            "No trend: the questionnaire was revised; trends resume with the next campaign on"
            " the same version"
        ),
        "no_previous": "No trend (no previous campaign)",
        "revision_below_minimum": (
            f"Not shown (fewer than {k} responses were withdrawn since it was last published,"
            " so showing it could reveal them)"
        ),
    }
    return texts.get(reason or "", "Not shown")


def trend_break(revised_in: int | None) -> str:
    """Why a trend is missing across a revised questionnaire (scoring.md s.5)."""
    when = f" in {revised_in}" if revised_in else ""
    return (
        f"The questionnaire was revised{when}; trends resume with the next campaign on the"
        " same version"
    )


def number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return ""
    value = round(float(value), 2) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0.00"
    text = f"{value:+.2f}" if signed and value != 0 else f"{value:.2f}"
    return text.replace("-", "\u2212")


def count_text(n: int | None, k: int) -> str:
    """A response count in words: a withheld one (None) is "fewer than k", never a value."""
    return f"fewer than {k}" if n is None else f"{n:,}"


def interval(ci: list[float] | None) -> str:
    if not ci:
        return ""
    return f"{number(ci[0])} to {number(ci[1])}"


def percent(rate: float | None) -> str:
    return "Not known" if rate is None else f"{rate:.0%}"


def level_label(q: Questionnaire, level: int | None) -> str:
    """The rung label of a level (0 is the implicit "not yet" rung)."""
    if level is None:
        return ""
    return NOT_YET_LABEL if level == 0 else q.rungs[level - 1].label


def domain_titles(q: Questionnaire) -> dict[str, str]:
    return {d.key: d.title for d in q.domains}


def init_app(app: Flask) -> None:
    app.add_template_filter(number)
    app.add_template_filter(interval)
    app.add_template_filter(percent)
    app.add_template_global(reason_text)
    app.add_template_global(trend_break)
    app.add_template_global(count_text)
    app.add_template_global(level_label)
    app.add_template_global(AUDIENCE_LABELS, "audience_labels")
