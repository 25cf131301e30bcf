"""An organisation's results by principle and by IAF criterion, for its annual report (the
ICB duty to say how it involved people): a printable page and the same numbers as CSV."""

from __future__ import annotations

from flask import Response, abort, render_template

from assessor import results
from assessor.campaigns.service import get_campaign
from assessor.published.views import bp
from assessor.results.reading import ResultsView
from assessor.results.records import PrincipleResult
from assessor.web.csv import csv_response, write_csv

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


@bp.get("/results/<slug>/<org_code>/report.csv")
def report_csv(slug: str, org_code: str) -> Response:
    view, found = _report(slug, org_code)
    columns = [
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
    number = view.publication.number if view.publication else ""
    rows = [
        [
            p.framework,
            p.key,
            p.label,
            " ".join(p.items),
            *("" if p.values[a] is None else repr(p.values[a]) for a in CSV_AUDIENCES),
            *(p.reasons[a] or "" for a in CSV_AUDIENCES),
            "" if p.national_median is None else repr(p.national_median),
            "" if p.national_percentile is None else repr(p.national_percentile),
            "" if p.national_n is None else p.national_n,
            number,
        ]
        for p in found
    ]
    return csv_response(write_csv(columns, rows), f"{slug}-{org_code}-by-principle.csv")
