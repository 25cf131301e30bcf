"""Publications, published results (JSON and CSV) and benchmarks of a campaign.

Scores come from the results read model (`results.read`), already suppressed and hidden
while a campaign is open, except as a marked preview for `admin` tokens; `schemas` dumps
them. A results or benchmarks cursor pins the publication its first page saw.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort
from flask.views import MethodView
from flask_smorest import Blueprint

from assessor import results
from assessor.auth.bearer import current_token
from assessor.auth.tokens import ADMIN
from assessor.campaigns.api import CODE_PARAMETER, SLUG_PARAMETER, campaign_or_404
from assessor.models import Campaign
from assessor.questionnaires.publishing import definition_of
from assessor.results.reading import ResultsView
from assessor.results.schemas import (
    BenchmarkArgs,
    BenchmarkPageSchema,
    PublicationPageSchema,
    ResultArgs,
    ResultDetailSchema,
    ResultFilters,
    ResultPageSchema,
    ResultSchema,
)
from assessor.results.snapshot import GROUP_BYS
from assessor.web.csv import write_csv
from assessor.web.errors import problem
from assessor.web.operations import read_operation
from assessor.web.paging import InvalidCursor, ListArgs, page, page_of_list, read_cursor
from assessor.web.spreadsheets import (
    ODS_MIMETYPE,
    XLSX_MIMETYPE,
    Cell,
    SheetTable,
    Shorthand,
    Workbook,
    publication_line,
    shorthand_for,
    source_line,
    spreadsheet_response,
)

blp = Blueprint(
    "results",
    __name__,
    url_prefix="/api/v1",
    description="Publications, results and benchmarks.",
)
CSV_MIMETYPE = "text/csv"


def init_app(app: Flask) -> None:
    """Registered by create_app (the package's __init__ is the service facade that lower
    features import, so it must not import this module)."""
    from assessor.extensions import api

    api.register_blueprint(blp)


def _is_admin() -> bool:
    return ADMIN in current_token().scopes


def _view(campaign: Campaign, cursor: Any = None) -> ResultsView:
    """The campaign's results for this token, at the publication a cursor pinned."""
    return results.read(campaign, admin=_is_admin(), number=cursor.pin if cursor else None)


def _pin(view: ResultsView) -> int | None:
    return view.publication.number if view.publication else None


# --------------------------------------------------------------------------- CSV


def _measure_fields() -> list[str]:
    return [
        "score",
        "level",
        "level_key",
        "n",
        "ci95.low",
        "ci95.high",
        "suppressed",
        "reason",
        *(f"percentile.{g}" for g in GROUP_BYS),
        *(f"funnel.{g}" for g in GROUP_BYS),
    ]


GAP_FIELDS = [
    "staff_minus_patient_leader",
    "ci95.low",
    "ci95.high",
    "significant",
    "suppressed",
    "reason",
]
TREND_FIELDS = [
    "before",
    "now",
    "delta",
    "ci95.low",
    "ci95.high",
    "significant",
    "suppressed",
    "reason",
]


def csv_columns(domain_keys: list[str]) -> list[str]:
    """Every column of the CSV, in order: one per measure and field, as dotted paths into a
    results item (`ci95` split into `.low` and `.high`)."""
    measures = ["overall", *(f"domains.{key}" for key in domain_keys)]
    columns = [
        "organisation.code",
        "organisation.name",
        "organisation.region",
        "organisation.peer_group",
        "audience",
        "preview",
        "responses.staff",
        "responses.patient_leader",
        "response_rate.staff",
        "response_rate.patient_leader",
        "scoring.questionnaire",
        "scoring.version",
        "scoring.rules",
        "scoring.min_respondents",
        "scoring.computed_at",
        "publication.number",
        "publication.published_on",
        "publication.reason",
    ]
    columns += [f"{m}.{f}" for m in measures for f in _measure_fields()]
    columns += [f"gap.{m}.{f}" for m in measures for f in GAP_FIELDS]
    columns += [
        "gap.reason",
        "trend.previous",
        "trend.comparable_fraction",
        "trend.comparable_domains",
        "trend.reason",
    ]
    columns += [f"trend.{m}.{f}" for m in measures for f in TREND_FIELDS]
    return columns


def _lookup(item: dict[str, Any], path: str) -> Any:
    parts = path.split(".")
    value: Any = item
    for i, part in enumerate(parts):
        if value is None:
            return None
        if part in ("low", "high") and i == len(parts) - 1 and parts[i - 1] == "ci95":
            return value[0 if part == "low" else 1]
        value = value.get(part)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def results_csv(items: list[dict[str, Any]], domain_keys: list[str]) -> Iterator[str]:
    """Results items as dumped by `ResultSchema`, one row each."""
    columns = csv_columns(domain_keys)
    rows = ([_cell(_lookup(item, column)) for column in columns] for item in items)
    yield write_csv(columns, rows)


def _sheet_cell(item: dict[str, Any], column: str, value: Any) -> Cell:
    """A CSV cell as a spreadsheet cell: numbers as numbers, a withheld value (null) as the
    shorthand of the reason the read model gives beside it."""
    if value is None:
        if column.endswith(".reason"):
            return Shorthand.NOT_APPLICABLE
        if column.startswith("responses."):
            return Shorthand.CONFIDENTIAL  # null below min_respondents (AudienceCountsSchema)
        parts = column.split(".")
        for end in range(len(parts) - 1, 0, -1):
            owner: Any = item
            for part in parts[:end]:
                owner = owner.get(part) if isinstance(owner, dict) else None
            if isinstance(owner, dict) and isinstance(owner.get("reason"), str):
                return shorthand_for(owner["reason"])
        return Shorthand.NOT_AVAILABLE
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _cell(value) or Shorthand.NOT_APPLICABLE  # an empty list


def results_workbook(
    view: ResultsView, args: dict[str, Any], columns: list[str], items: list[dict[str, Any]]
) -> Workbook:
    """The results CSV's rows and columns as a workbook (cover, notes, one table)."""
    campaign = view.campaign
    chosen = [f"audience {args['audience']}"]
    chosen += [f"{g.replace('_', ' ')} {args[g]}" for g in ("region", "peer_group") if args.get(g)]
    rows = [[_sheet_cell(item, c, _lookup(item, c)) for c in columns] for item in items]
    title = f"Results of {campaign.title} by organisation ({', '.join(chosen)})"
    p = view.publication
    return Workbook(
        title=title,
        about=[
            "One row per organisation, one column per measure and field: the rows and columns"
            " of the API's results.csv, column names being dotted paths into a results item"
            " (see the API reference).",
        ],
        source=source_line(campaign, view.q),
        published=publication_line(
            p,
            "Not published: the campaign is open or awaiting publication."
            + (" A preview for an admin token." if view.preview else ""),
        ),
        notes=[
            f"Scores based on fewer than {campaign.min_respondents} respondents are not shown"
            " ([c]); the reason columns say why, as codes of the disclosure rule.",
            "Scores run from 0 to the number of rungs of the ladder; ci95 is the 95% interval.",
            "Combined ratings weigh staff and patient leaders equally.",
        ],
        tables=[SheetTable("Results", title, columns, rows)],
        k=campaign.min_respondents,
    )


@blp.route("/campaigns/<slug>/publications", parameters=[SLUG_PARAMETER])
class CampaignPublications(MethodView):
    @read_operation(blp, "results:read", PublicationPageSchema, (400, 404, 422), query=ListArgs)
    def get(self, slug: str, **args: Any) -> Any:
        """The campaign's publications, oldest first (none while it is open)"""
        campaign = campaign_or_404(slug)
        rows = results.publications_of(campaign)
        return page_of_list(rows, lambda row: row.number, args)


@blp.route("/campaigns/<slug>/results", parameters=[SLUG_PARAMETER])
class CampaignResults(MethodView):
    @read_operation(blp, "results:read", ResultPageSchema, (400, 404, 422), query=ResultArgs)
    def get(self, slug: str, **args: Any) -> Any:
        """One results item per organisation of the campaign, in code order

        Scores below the campaign's minimum number of respondents are null with a reason.
        While the campaign is open, scores are null (`campaign_open`) except for `admin`
        tokens, which see them marked `preview: true`. Every item carries the publication
        its numbers come from. Once the closing date has passed, until publication 1 is made
        (`assessor jobs run-due`), scores are null with reason `awaiting_publication`.
        """
        campaign = campaign_or_404(slug)
        cursor = read_cursor(args)
        view = _view(campaign, cursor)
        if cursor is not None and not isinstance(cursor.after, str):
            raise InvalidCursor()
        limit = args["limit"]
        items, total, more = view.page(
            args["audience"],
            region=args.get("region"),
            peer_group=args.get("peer_group"),
            after=cursor.after if cursor else None,
            limit=limit,
        )
        return page(
            items,
            total,
            args,
            more=more,
            pin=_pin(view),
            after=items[-1].organisation.code if items else None,
        )


@blp.route("/campaigns/<slug>/results/<code>", parameters=[SLUG_PARAMETER, CODE_PARAMETER])
class OrganisationResult(MethodView):
    @read_operation(blp, "results:read", ResultDetailSchema, (404, 422), query=ResultFilters)
    def get(self, slug: str, code: str, **args: Any) -> Any:
        """One organisation's results item, with its rung and answer profiles"""
        campaign = campaign_or_404(slug)
        found = _view(campaign).for_org(code, args["audience"], profiles=True)
        if found is None:
            abort(problem(404, "Not Found", f"Organisation {code!r} is not in {slug!r}."))
        return found


def _csv_items(slug: str, args: dict[str, Any]) -> tuple[ResultsView, list[dict[str, Any]]]:
    """The campaign's results for this token and its items as dumped by `ResultSchema` (not
    paged): the rows of the CSV and of the spreadsheets alike."""
    view = _view(campaign_or_404(slug))
    items, _, _ = view.page(
        args["audience"], region=args.get("region"), peer_group=args.get("peer_group")
    )
    return view, ResultSchema(many=True).dump(items)


def _domain_keys(view: ResultsView) -> list[str]:
    return list(definition_of(view.campaign.questionnaire).domain_keys)


@blp.route("/campaigns/<slug>/results.csv", parameters=[SLUG_PARAMETER])
class CampaignResultsCsv(MethodView):
    @read_operation(
        blp,
        "results:read",
        {
            "type": "string",
            "description": "One row per organisation, one column per measure"
            " and field (dotted paths into a results item).",
        },
        (404, 422),
        query=ResultFilters,
        content_type=CSV_MIMETYPE,
    )
    def get(self, slug: str, **args: Any) -> Any:
        """The results, flattened to CSV (not paged)"""
        view, items = _csv_items(slug, args)
        filename = f"{view.campaign.slug}-results-{args['audience']}.csv"
        return Response(
            "".join(results_csv(items, _domain_keys(view))),
            mimetype=CSV_MIMETYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def _spreadsheet(slug: str, fmt: str, args: dict[str, Any]) -> Response:
    view, items = _csv_items(slug, args)
    book = results_workbook(view, args, csv_columns(_domain_keys(view)), items)
    return spreadsheet_response(book, fmt, f"{view.campaign.slug}-results-{args['audience']}")


def _spreadsheet_doc(fmt: str) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "binary",
        "description": f"The rows and columns of results.csv as a .{fmt} workbook: a Cover"
        " sheet (what the data is, its source and publication, the shorthand [c] for a value"
        " withheld to protect respondents, [x] not available, [z] not applicable), a Notes"
        " sheet, then the table, its title in A1 and its column headings in row 3.",
    }


@blp.route("/campaigns/<slug>/results.xlsx", parameters=[SLUG_PARAMETER])
class CampaignResultsXlsx(MethodView):
    @read_operation(
        blp,
        "results:read",
        _spreadsheet_doc("xlsx"),
        (404, 422),
        query=ResultFilters,
        content_type=XLSX_MIMETYPE,
    )
    def get(self, slug: str, **args: Any) -> Any:
        """The results CSV as an accessible Excel workbook (not paged)"""
        return _spreadsheet(slug, "xlsx", args)


@blp.route("/campaigns/<slug>/results.ods", parameters=[SLUG_PARAMETER])
class CampaignResultsOds(MethodView):
    @read_operation(
        blp,
        "results:read",
        _spreadsheet_doc("ods"),
        (404, 422),
        query=ResultFilters,
        content_type=ODS_MIMETYPE,
    )
    def get(self, slug: str, **args: Any) -> Any:
        """The results CSV as an accessible OpenDocument spreadsheet (not paged)"""
        return _spreadsheet(slug, "ods", args)


@blp.route("/campaigns/<slug>/benchmarks", parameters=[SLUG_PARAMETER])
class CampaignBenchmarks(MethodView):
    @read_operation(blp, "results:read", BenchmarkPageSchema, (400, 404, 422), query=BenchmarkArgs)
    def get(self, slug: str, **args: Any) -> Any:
        """One benchmarks item per group (national, each region or each peer group)"""
        campaign = campaign_or_404(slug)
        view = _view(campaign)
        items = view.benchmarks(args["audience"], args["group_by"])
        return page_of_list(items, lambda item: item.group["value"], args)
