from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from assessor import results
from assessor.actions.operations import can_edit, is_published
from assessor.auth import roles
from assessor.auth.csrf import check_csrf
from assessor.campaigns.service import get_campaign
from assessor.dashboards import comments
from assessor.dashboards.assets import plotly_url
from assessor.dashboards.downloads import chart_workbook
from assessor.dashboards.figures import highlight
from assessor.dashboards.figures import national as national_charts
from assessor.dashboards.figures import organisation as org_charts
from assessor.dashboards.figures.common import Chart, Filters, selection
from assessor.extensions import db, login_manager
from assessor.models import Campaign
from assessor.published.headline import Headline, headline
from assessor.results.reading import ResultsView, summary
from assessor.results.snapshot import OVERALL
from assessor.web.csv import csv_response, write_csv
from assessor.web.headers import CHART_CONTENT_SECURITY_POLICY
from assessor.web.presentation import domain_titles
from assessor.web.spreadsheets import spreadsheet_response

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")


@bp.before_request
def require_login() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def chart_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CHART_CONTENT_SECURITY_POLICY
    return response


def _is_admin() -> bool:
    return roles.is_admin(current_user)


@bp.get("/")
def index() -> str:
    campaigns = db.session.scalars(db.select(Campaign).order_by(Campaign.created_at)).all()
    rows = []
    for campaign in campaigns:
        found = summary(campaign, admin=_is_admin())
        rows.append(
            {
                "campaign": campaign,
                "organisations": found.organisations,
                "staff": found.staff,
                "patient_leader": found.patient_leader,
                "publication": found.publication,
                "as_of": found.as_of,
                "revision_pending": _is_admin() and results.revision_pending(campaign),
            }
        )
    return render_template("dashboards/index.html", rows=rows)


def _choice(name: str, allowed: list[str], default: str | None) -> str | None:
    value = request.args.get(name) or default
    return value if value in allowed else default


def _view(slug: str) -> tuple[Campaign, ResultsView]:
    found = get_campaign(slug)
    if found is None:
        abort(404)
    return found, results.read(found, admin=_is_admin())


def _filters(view: ResultsView) -> Filters:
    s = view.snapshot
    return Filters(
        audience=_choice("audience", list(results.RESULT_AUDIENCES), "combined"),
        measure=_choice("measure", view.measures, OVERALL),
        region=_choice("region", s.labels("region"), None),
        peer_group=_choice("peer_group", s.labels("peer_group"), None),
    )


def _query(f: Filters) -> dict[str, str]:
    """The filters as query arguments, defaults left out."""
    args = {"audience": f.audience, "measure": f.measure, "region": f.region}
    args["peer_group"] = f.peer_group
    defaults = {"audience": "combined", "measure": OVERALL}
    return {k: v for k, v in args.items() if v is not None and defaults.get(k) != v}


def _org_link(slug: str, f: Filters) -> str:
    args = {"audience": f.audience} if f.audience != "combined" else {}
    return url_for("dashboards.organisation", slug=slug, org_code="__CODE__", **args)


def _common(campaign: Campaign, view: ResultsView) -> dict[str, object]:
    return {
        "campaign": campaign,
        "q": view.q,
        "scores_visible": not view.hidden,
        "preview": view.preview,
        "publication": view.publication,
        "revision_pending": _is_admin() and results.revision_pending(campaign),
        "domains": domain_titles(view.q),
        "plotly_url": plotly_url(),
        "k": campaign.min_respondents,
    }


@bp.get("/<slug>")
def campaign(slug: str) -> str:
    found, view = _view(slug)
    f = _filters(view)
    charts = national_charts.charts(view, f, _org_link(slug, f))
    wanted = request.args.get("find", "").strip()[:200]
    i = highlight.find(view, wanted) if wanted else None
    hit = None if i is None else highlight.highlight(view, charts, i, selection(view, f))
    return render_template(
        "dashboards/campaign.html",
        charts=charts,
        wanted=wanted,
        hit=hit,
        filters=f,
        query=_query(f),
        regions=view.snapshot.labels("region"),
        peer_groups=view.snapshot.labels("peer_group"),
        total=len(selection(view, f)),
        **_common(found, view),
    )


def _csv(rows: list[list[str]], columns: list[str], filename: str) -> Response:
    return csv_response(write_csv(columns, rows), filename)


def _national_chart(slug: str, chart: str) -> tuple[Campaign, ResultsView, Chart]:
    found, view = _view(slug)
    allowed = ["responses"] if view.hidden else ["funnel", "levels", "heatmap", "ranked"]
    if chart not in allowed:
        abort(404)
    f = _filters(view)
    return found, view, national_charts.NATIONAL_CHARTS[chart](view, f, _org_link(slug, f))


@bp.get("/<slug>/csv/<chart>")
def campaign_csv(slug: str, chart: str) -> Response:
    _, _, built = _national_chart(slug, chart)
    return _csv(built.table.rows, built.table.columns, f"{slug}-{chart}.csv")


@bp.get("/<slug>/<any(xlsx, ods):fmt>/<chart>")
def campaign_sheet(slug: str, fmt: str, chart: str) -> Response:
    """The same table as the CSV, as a spreadsheet (cover, notes, the table)."""
    _, view, built = _national_chart(slug, chart)
    who = _filters_in_words(_filters(view))
    return spreadsheet_response(chart_workbook(view, built, who), fmt, f"{slug}-{chart}")


def _filters_in_words(f: Filters) -> str:
    chosen = [f"audience {f.audience}", f"measure {f.measure}"]
    chosen += [f"region {f.region}"] if f.region else []
    chosen += [f"peer group {f.peer_group}"] if f.peer_group else []
    return "national page, " + ", ".join(chosen)


@bp.get("/<slug>/table/<chart>")
def campaign_table(slug: str, chart: str) -> str:
    """One chart's whole table, for a chart with too many rows to inline beside it."""
    found, view, built = _national_chart(slug, chart)
    f = _filters(view)
    return render_template(
        "dashboards/table.html", chart=built, filters=f, query=_query(f), **_common(found, view)
    )


def _org(slug: str, org_code: str) -> tuple[Campaign, ResultsView, int]:
    found, view = _view(slug)
    i = view.snapshot.index(org_code)
    if i is None:
        abort(404)
    return found, view, i


def _headline(view: ResultsView, org_code: str) -> Headline | None:
    """The message first (combined rating, whatever the audience shown below)."""
    if view.hidden:
        return None
    item = view.for_org(org_code, "combined")
    if item is None:
        return None
    peers = view.group("combined", "peer_group", item.organisation.peer_group)
    return headline(item, view.q, peers, view.campaign.min_respondents)


@bp.get("/<slug>/<org_code>")
def organisation(slug: str, org_code: str) -> str:
    found, view, i = _org(slug, org_code)
    audience = _choice("audience", list(results.RESULT_AUDIENCES), "combined")
    charts = org_charts.charts(view, i, audience)
    return render_template(
        "dashboards/organisation.html",
        charts=charts,
        org=view.org_ref(i),
        audience=audience,
        headline=_headline(view, org_code),
        last_round_item=None if view.hidden else view.for_org(org_code, "combined"),
        plan_published=is_published(found),
        can_edit_plan=can_edit(current_user, org_code),
        comments=comments.comments_for(found, org_code, current_user),
        is_admin=_is_admin(),
        **_common(found, view),
    )


@bp.get("/<slug>/<org_code>/csv/<chart>")
def organisation_csv(slug: str, org_code: str, chart: str) -> Response:
    found, view, i = _org(slug, org_code)
    audience = _choice("audience", list(results.RESULT_AUDIENCES), "combined")
    for built in org_charts.charts(view, i, audience):
        if built.id == chart:
            return _csv(built.table.rows, built.table.columns, f"{slug}-{org_code}-{chart}.csv")
    abort(404)


@bp.get("/<slug>/<org_code>/<any(xlsx, ods):fmt>/<chart>")
def organisation_sheet(slug: str, org_code: str, fmt: str, chart: str) -> Response:
    """The same table as the organisation's CSV, as a spreadsheet."""
    _, view, i = _org(slug, org_code)
    audience = _choice("audience", list(results.RESULT_AUDIENCES), "combined")
    for built in org_charts.charts(view, i, audience):
        if built.id == chart:
            who = f"{view.org_ref(i).name} ({org_code}), audience {audience}"
            book = chart_workbook(view, built, who)
            return spreadsheet_response(book, fmt, f"{slug}-{org_code}-{chart}")
    abort(404)


@bp.post("/<slug>/<org_code>/comments/hide")
def hide_comment(slug: str, org_code: str) -> Response:
    check_csrf()
    if not _is_admin():
        abort(403)
    found, _, _ = _org(slug, org_code)
    if not comments.hide_comment(found, org_code, request.form.get("ref", ""), current_user.email):
        abort(404)
    flash("The comment is hidden. The audit log records who hid it and when.")
    return redirect(url_for("dashboards.organisation", slug=slug, org_code=org_code) + "#comments")
