"""A board chart's table as a spreadsheet workbook: the very rows its CSV has (the Table of the
Chart, text exactly as shown), with numbers stored as numbers and the words for a withheld
value (which the disclosure rule decided when the table was built) as their shorthand."""

from __future__ import annotations

from assessor.dashboards.figures.common import Chart, k_of
from assessor.disclosure import REASONS
from assessor.results.reading import ResultsView
from assessor.web.presentation import count_text, reason_text
from assessor.web.spreadsheets import (
    SheetTable,
    Shorthand,
    Workbook,
    from_text,
    publication_line,
    shorthand_for,
    source_line,
)

#: Words a table uses where no value is shown that are not a disclosure reason.
NOT_AVAILABLE_WORDS = ("", "Not known", "Not ranked", "No peers shown", "No limits", "None")


def withheld_words(k: int) -> dict[str, Shorthand]:
    """Every wording of a withheld value in a board table, with its shorthand."""
    words = {reason_text(r, k): shorthand_for(r) for r in REASONS if r is not None}
    words[count_text(None, k)] = Shorthand.CONFIDENTIAL
    words.update({w: Shorthand.NOT_AVAILABLE for w in NOT_AVAILABLE_WORDS})
    return words


def published_line(view: ResultsView) -> str:
    if view.preview:
        return "Not published: a preview for administrators; the numbers change as people respond."
    return publication_line(
        view.publication,
        "Not published yet: response counts only, until the results are published.",
    )


def chart_workbook(view: ResultsView, chart: Chart, who: str) -> Workbook:
    """`chart`'s table for `who` (the organisation's name, or the filters in words)."""
    k = k_of(view)
    words = withheld_words(k)
    campaign = view.campaign
    rows = [[from_text(cell, words) for cell in row] for row in chart.table.rows]
    sheet = chart.id.replace("-", "_").capitalize()
    return Workbook(
        title=f"{chart.title}: {campaign.title}",
        about=[
            f"One table of the board dashboard of {campaign.title} ({who}), the same numbers"
            " as its page and its CSV.",
            chart.summary,
        ],
        source=source_line(campaign, view.q, ", scored as its methodology page says."),
        published=published_line(view),
        notes=[
            f"Values based on fewer than {k} respondents are not shown ([c]); nor is a value"
            f" whose count changed by fewer than {k} since it was last published.",
            "Organisations whose values are withheld are left out of every group statistic"
            " (medians, percentiles, funnel limits).",
            "Combined ratings weigh staff and patient leaders equally; staff-only and"
            " patient-leader-only figures are one voice's view, not the rating.",
        ],
        tables=[SheetTable(sheet, chart.title, chart.table.columns, rows)],
        k=k,
    )
