"""An organisation's results by principle and by IAF criterion, for its annual report (the
ICB duty to say how it involved people): a printable page and the same numbers as CSV, .xlsx
and .ods."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, abort, render_template

from assessor import results
from assessor.campaigns.service import get_campaign
from assessor.published.views import bp
from assessor.results.reading import ResultsView
from assessor.results.records import PrincipleResult
from assessor.web.csv import csv_response, write_csv
from assessor.web.spreadsheets import (
    Cell,
    SheetTable,
    Shorthand,
    Workbook,
    publication_line,
    shorthand_for,
    source_line,
    spreadsheet_response,
)

FRAMEWORKS = {
    "nhse-2022": "NHS England's ten principles for working with people and communities (2022)",
    "iaf": (
        "Criteria of the patient and community engagement indicator of the CCG Improvement"
        " and Assessment Framework (2018/19 on; it rated CCGs from published evidence)"
    ),
}
CSV_AUDIENCES = ("combined", "staff", "patient_leader")


def _report(slug: str, org_code: str) -> tuple[ResultsView, list[PrincipleResult]]:
    campaign = get_campaign(slug)
    if campaign is None:
        abort(404)
    view = results.read(campaign)
    found = view.principles(org_code)
    if found is None:
        abort(404)
    return view, found


@bp.get("/results/<slug>/<org_code>/report")
def report(slug: str, org_code: str) -> str:
    view, found = _report(slug, org_code)
    item = view.for_org(org_code, "combined")
    frameworks = {
        key: (label, [p for p in found if p.framework == key]) for key, label in FRAMEWORKS.items()
    }
    return render_template(
        "published/report.html",
        campaign=view.campaign,
        view=view,
        item=item,
        frameworks={k: v for k, v in frameworks.items() if v[1]},
    )


COLUMNS = [
    "framework",
    "key",
    "label",
    "items",
    *(f"{a}.agreement" for a in CSV_AUDIENCES),
    *(f"{a}.reason" for a in CSV_AUDIENCES),
    "combined.national_median",
    "combined.national_percentile",
    "combined.national_organisations",
    "publication",
]


def report_rows(view: ResultsView, found: list[PrincipleResult]) -> list[list[object]]:
    """The report's rows as the read model gives them (None where nothing is shown), for the
    CSV and the spreadsheets alike."""
    number = view.publication.number if view.publication else None
    return [
        [
            p.framework,
            p.key,
            p.label,
            " ".join(p.items),
            *(p.values[a] for a in CSV_AUDIENCES),
            *(p.reasons[a] or None for a in CSV_AUDIENCES),
            p.national_median,
            p.national_percentile,
            p.national_n,
            number,
        ]
        for p in found
    ]


@bp.get("/results/<slug>/<org_code>/report.csv")
def report_csv(slug: str, org_code: str) -> Response:
    view, found = _report(slug, org_code)
    rows = [
        [repr(v) if isinstance(v, float) else v for v in row] for row in report_rows(view, found)
    ]
    return csv_response(write_csv(COLUMNS, rows), f"{slug}-{org_code}-by-principle.csv")


@bp.get("/results/<slug>/<org_code>/report.<any(xlsx, ods):fmt>")
def report_sheet(slug: str, org_code: str, fmt: str) -> Response:
    """The CSV's rows as a spreadsheet: one sheet per framework."""
    view, found = _report(slug, org_code)
    book = report_workbook(view, org_code, found, report_rows(view, found))
    return spreadsheet_response(book, fmt, f"{slug}-{org_code}-by-principle")


# --------------------------------------------------------------------------- spreadsheets

SHEETS = {"nhse-2022": "Principles", "iaf": "IAF_criteria"}


def _cells(row: Sequence[object], p: PrincipleResult) -> list[Cell]:
    """A CSV row's values as cells: a withheld agreement as the shorthand of its reason, no
    reason as not applicable, national figures missing because this organisation's combined
    figure is withheld as that figure's shorthand."""
    out: list[Cell] = []
    for c, value in enumerate(row):
        if value is not None:
            out.append(value)  # type: ignore[arg-type]
        elif 4 <= c < 7:
            out.append(shorthand_for(p.reasons[CSV_AUDIENCES[c - 4]]))
        elif 7 <= c < 10:
            out.append(Shorthand.NOT_APPLICABLE)
        elif p.reasons["combined"]:
            out.append(shorthand_for(p.reasons["combined"]))
        else:
            out.append(Shorthand.NOT_AVAILABLE)
    return out


def report_workbook(
    view: ResultsView,
    org_code: str,
    found: list[PrincipleResult],
    rows: list[list[object]],
) -> Workbook:
    campaign = view.campaign
    item = view.for_org(org_code, "combined")
    name = item.organisation.name if item else org_code
    tables = []
    for key, label in FRAMEWORKS.items():
        mine = [_cells(row, p) for row, p in zip(rows, found, strict=True) if p.framework == key]
        if mine:
            title = f"{name} ({org_code}), {campaign.title}: {label}"
            tables.append(SheetTable(SHEETS[key], title, COLUMNS, mine))
    p = view.publication
    return Workbook(
        title=f"{name} ({org_code}): results by principle, {campaign.title}",
        about=[
            "How far staff and patient leaders agree that each principle is met, as a share of"
            " the answer scale (0 is 'strongly disagree' or 'does not happen here', 1 is"
            " 'strongly agree'), for an organisation's annual report.",
            "The same rows as the report's CSV download, one sheet per framework.",
        ],
        source=source_line(campaign, view.q),
        published=publication_line(
            p, "Not published yet: results are published when the campaign closes."
        ),
        notes=[
            "Each figure is the average over the questions mapped to that principle that at"
            f" least {campaign.min_respondents} people answered; the combined figure weighs"
            " staff and patient leaders equally.",
            "The national median is over the organisations whose combined figure is shown;"
            " the percentile says where this organisation stands among them (50 is the"
            " middle).",
            "The reason columns give why a figure is withheld, as codes of the disclosure"
            " rule (e.g. below_minimum: fewer respondents than the minimum).",
        ],
        tables=tables,
        k=campaign.min_respondents,
    )
