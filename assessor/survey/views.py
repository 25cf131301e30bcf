"""Survey views.

Invitations are marked used when a response started from them is submitted, not when it is
started, so that a respondent who opens their link and walks away has not burnt it. The
in-progress response remembers its invitation until then (the link is forgotten at
submission, like the resume token), so one invitation submits one response however many
browsers open it. Open links and invitation links are rate-limited (assessor.web.limits);
survey pages are sent with `Cache-Control: no-store` and `Referrer-Policy: no-referrer` so
that the resume token in their address stays out of caches and other sites' logs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from assessor.actions.operations import plan_of
from assessor.actions.verdicts import verdict_pages, verdict_review_rows
from assessor.auth.csrf import check_csrf, csrf_valid
from assessor.campaigns import invitations
from assessor.campaigns.service import get_campaign
from assessor.extensions import db
from assessor.models import Campaign, CampaignOrganisation, Response
from assessor.models.campaign import AUDIENCES
from assessor.models.response import Invitation
from assessor.questionnaires.definition import Item, Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.responses import submission as responses
from assessor.survey.pages import (
    AUDIENCE_NAMES,
    SurveyPage,
    answer_label,
    estimated_minutes,
    field_message,
    split_options,
    survey_pages,
)
from assessor.web.limits import (
    address_key,
    invitation_limit,
    limiter,
    open_link_key,
    survey_starts_limit,
)

bp = Blueprint("survey", __name__)

Page = str | tuple[str, int] | WerkzeugResponse


class Refused(Exception):
    """A kind page instead of the one asked for (closed campaign, link not valid)."""

    def __init__(self, page: tuple[str, int]) -> None:
        super().__init__(page[1])
        self.page = page


@bp.errorhandler(Refused)
def refused(exc: Refused) -> tuple[str, int]:
    return exc.page


@bp.after_request
def private_pages(resp: WerkzeugResponse) -> WerkzeugResponse:
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.errorhandler(400)
def expired_form(exc: HTTPException) -> tuple[str, int]:
    paragraphs = [exc.description or "Go back, reload the page and try again."]
    if request.endpoint == "survey.review":
        paragraphs.append(
            "Your answers are kept: nothing has been lost and nothing has been submitted yet."
        )
    back = request.path if request.method == "POST" else None
    return _message(400, "Sorry, that did not work", paragraphs, back=back)


def _message(
    status: int,
    heading: str,
    paragraphs: list[str],
    campaign: Campaign | None = None,
    back: str | None = None,
) -> tuple[str, int]:
    return render_template(
        "survey/message.html",
        heading=heading,
        paragraphs=paragraphs,
        campaign=campaign,
        back=back,
    ), status


def _not_open(campaign: Campaign) -> tuple[str, int]:
    if campaign.status == "closed":
        return _message(
            410,
            "This survey has closed",
            [
                f"{campaign.title} has closed, so answers can no longer be given or changed."
                " Answers that were submitted before it closed are counted.",
            ],
            campaign,
        )
    return _message(
        403,
        "This survey has not opened yet",
        [f"{campaign.title} has not opened yet. Please use your link again once it opens."],
    )


def _link_not_valid() -> tuple[str, int]:
    return _message(
        404,
        "This link has already been used or is not valid",
        [
            "Each invitation link can be used to submit answers once. If you have already"
            " submitted your answers, thank you: there is nothing more to do.",
            "If you have not, check that you copied the whole link, or ask the person who"
            " sent it for a new one.",
        ],
    )


def _resume_not_valid() -> tuple[str, int]:
    return _message(
        404,
        "This link is not valid",
        [
            "It may have been copied incompletely, or the answers may already have been"
            " submitted: once submitted, answers cannot be opened or changed again.",
        ],
    )


def _start_page(campaign: Campaign, org_code: str, audience: str) -> str:
    member = db.session.get(CampaignOrganisation, (campaign.id, org_code))
    q = definition_of(campaign.questionnaire)
    judged = audience == "patient_leader" and campaign.previous is not None
    verdicts = 1 if judged and plan_of(campaign.previous, org_code) else 0
    return render_template(
        "survey/start.html",
        campaign=campaign,
        q=q,
        organisation=member.organisation if member else None,
        audience_name=AUDIENCE_NAMES[audience],
        minutes=estimated_minutes(q),
        pages=len(survey_pages(q)) + verdicts,
        total=len(survey_pages(q)) + verdicts + 1,
    )


# --------------------------------------------------------------------------- open links


def _open_target(slug: str, org_code: str, audience: str) -> Campaign:
    campaign = get_campaign(slug)
    if campaign is None or audience not in AUDIENCES:
        abort(404)
    if db.session.get(CampaignOrganisation, (campaign.id, org_code)) is None:
        abort(404)
    return campaign


def _refuse_open(campaign: Campaign) -> tuple[str, int] | None:
    if campaign.access != "open":
        return _message(
            403,
            "This survey is by invitation only",
            [
                f"{campaign.title} can only be answered through a personal invitation link."
                " If you should have received one, ask your organisation's contact for it.",
            ],
        )
    if campaign.status != "open":
        return _not_open(campaign)
    return None


@bp.errorhandler(429)
def too_many(exc: HTTPException) -> tuple[str, int]:
    if request.endpoint == "survey.open_link":
        return _message(
            429,
            "Too many surveys started",
            [
                "Too many surveys have been started from your network in the last hour."
                " Please try again later. If you share a network with colleagues, your"
                " organisation can send you a personal invitation link instead.",
            ],
        )
    return _message(
        429,
        "Too many requests",
        ["Too many links have been opened from your network. Please try again later."],
    )


@bp.route("/s/<slug>/<org_code>/<audience>", methods=["GET", "POST"])
@limiter.limit(survey_starts_limit, key_func=open_link_key, methods=["POST"])
def open_link(slug: str, org_code: str, audience: str) -> Page:
    campaign = _open_target(slug, org_code, audience)
    refusal = _refuse_open(campaign)
    if refusal is not None:
        return refusal
    if request.method != "POST":
        return _start_page(campaign, org_code, audience)
    check_csrf()
    try:
        _, token = responses.start(campaign, org_code, audience)
    except responses.SurveyClosed:
        return _not_open(campaign)
    return redirect(url_for("survey.page", token=token, number=1))


# --------------------------------------------------------------------------- invitations


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit(invitation_limit, key_func=address_key)
def invitation(token: str) -> Page:
    found = invitations.find_invitation(token)
    if found is None or found.used_at is not None:
        return _link_not_valid()
    campaign = db.session.get(Campaign, found.campaign_id)
    assert campaign is not None
    if campaign.status != "open":
        return _not_open(campaign)
    if request.method != "POST":
        return _start_page(campaign, found.org_code, found.audience)
    check_csrf()
    try:
        _, resume = responses.start(
            campaign, found.org_code, found.audience, invitation_id=found.id
        )
    except responses.SurveyClosed:
        return _not_open(campaign)
    return redirect(url_for("survey.page", token=resume, number=1))


# --------------------------------------------------------------------------- pages


def _open_response(token: str) -> tuple[Response, Campaign, Questionnaire]:
    response = responses.find_in_progress(token)
    if response is None:
        raise Refused(_resume_not_valid())
    if response.invitation_id is not None:
        invitation = db.session.get(Invitation, response.invitation_id)
        if invitation is None or invitation.used_at is not None:
            raise Refused(_link_not_valid())
    campaign = db.session.get(Campaign, response.campaign_id)
    assert campaign is not None
    if campaign.status != "open":
        raise Refused(_not_open(campaign))
    return response, campaign, definition_of(campaign.questionnaire)


def _fields(
    shown: list[Item], audience: str, values: dict[str, Any], errors: dict[str, str]
) -> list[dict[str, Any]]:
    fields = []
    for item in shown:
        scale, apart = split_options(item)
        fields.append(
            {
                "item": item,
                "id": item.link_id,
                "text": item.text_for_audience(audience),
                "options": scale,
                "apart": apart,
                "value": values.get(item.link_id, ""),
                "error": errors.get(item.link_id),
            }
        )
    return fields


def _render_page(
    token: str,
    response: Response,
    campaign: Campaign,
    q: Questionnaire,
    page: SurveyPage,
    total: int,
    values: dict[str, Any],
    shown: list[Item],
    errors: dict[str, str] | None = None,
    expired: bool = False,
) -> str:
    errors = errors or {}
    return render_template(
        "survey/page.html",
        token=token,
        campaign=campaign,
        q=q,
        page=page,
        number=page.number,
        total=total,
        audience_name=AUDIENCE_NAMES[response.audience],
        fields=_fields(shown, response.audience, values, errors),
        errors=errors,
        expired=expired,
    )


@bp.route("/r/<token>/<int:number>", methods=["GET", "POST"])
def page(token: str, number: int) -> Page:
    response, campaign, q = _open_response(token)
    pages = survey_pages(q)
    if not 1 <= number <= len(pages):
        abort(404)
    total = len(pages) + 1 + verdict_pages(response)  # the review page is the last
    this = pages[number - 1]
    saved = dict(response.answers or {})
    shown = this.shown(q, saved)
    if request.method != "POST":
        return _render_page(token, response, campaign, q, this, total, saved, shown)

    if not csrf_valid():
        # The session (and its form token) was lost, e.g. the browser was closed: nothing
        # is saved, but the answers just given are shown back, ready to send again.
        given = {item.link_id: request.form.get(item.link_id, "") for item in shown}
        values = {**saved, **{k: v for k, v in given.items() if v}}
        html = _render_page(token, response, campaign, q, this, total, values, shown, expired=True)
        return html, 400
    unknown = set(request.form) - {"csrf_token", "action"} - {item.link_id for item in shown}
    if unknown:
        abort(
            400,
            description="The form holds answers to questions that are not on this page."
            " Go back, reload the page and try again.",
        )
    action = request.form.get("action", "continue")
    submitted = {}
    for item in shown:
        value = request.form.get(item.link_id, "")
        submitted[item.link_id] = "" if item.type == "text" and not value.strip() else value
    try:
        responses.save_answers(response, submitted, [item.link_id for item in shown])
    except responses.SurveyClosed:
        return _not_open(campaign)
    except responses.AnswerErrors as exc:
        db.session.rollback()
        by_item = {item.link_id: item for item in shown}
        errors = {}
        for path in exc.errors:
            link_id = path.removeprefix("answers.")
            if link_id in by_item:
                errors[link_id] = field_message(by_item[link_id])
        values = {**saved, **submitted}
        for link_id in errors:
            if by_item[link_id].type != "text":
                values.pop(link_id, None)
        html = _render_page(token, response, campaign, q, this, total, values, shown, errors)
        return html, 400

    if action == "save":
        return redirect(url_for("survey.saved", token=token, number=number))
    if action == "back":
        return redirect(url_for("survey.page", token=token, number=max(1, number - 1)))
    revealed = [item for item in this.shown(q, response.answers) if item not in shown]
    if revealed:
        # A follow-up question now applies: show this page again with it, focused on it.
        return redirect(
            url_for("survey.page", token=token, number=number) + f"#{revealed[0].link_id}"
        )
    if number < len(pages):
        return redirect(url_for("survey.page", token=token, number=number + 1))
    if verdict_pages(response):
        return redirect(url_for("survey.verdicts", token=token))
    return redirect(url_for("survey.review", token=token))


@bp.get("/r/<token>/<int:number>/saved")
def saved(token: str, number: int) -> Page:
    _, campaign, q = _open_response(token)
    number = min(max(1, number), len(survey_pages(q)))
    path = url_for("survey.page", token=token, number=number)
    return render_template(
        "survey/saved.html",
        campaign=campaign,
        resume_link=request.host_url.rstrip("/") + path,
        back=path,
    )


def _review_groups(q: Questionnaire, response: Response) -> list[dict[str, Any]]:
    answers = dict(response.answers or {})
    return [
        {
            "page": p,
            "rows": [
                {
                    "id": item.link_id,
                    "text": item.text_for_audience(response.audience),
                    "answer": answer_label(item, answers.get(item.link_id)),
                }
                for item in p.shown(q, answers)
            ],
        }
        for p in survey_pages(q)
    ]


NOTHING_SCORED = "nothing-scored"


def _scored_answered(q: Questionnaire, response: Response) -> int:
    answers = response.answers or {}
    return sum(1 for item in q.scored_items if answers.get(item.link_id) not in (None, ""))


@bp.route("/r/<token>/review", methods=["GET", "POST"])
def review(token: str) -> Page:
    response, campaign, q = _open_response(token)
    pages = survey_pages(q)
    errors: dict[str, str] = {}
    if request.method == "POST":
        check_csrf()
    if request.method == "POST" and not _scored_answered(q, response):
        # A blank survey says nothing about the organisation: refused, nothing stored.
        errors[NOTHING_SCORED] = (
            "Answer at least one of the statements before you submit"
            " (\u201cDon\u2019t know\u201d counts as an answer)"
        )
    elif request.method == "POST":
        try:
            responses.complete(response)
        except responses.InvitationUsed:
            db.session.rollback()
            return _link_not_valid()
        except responses.AlreadySubmitted:
            db.session.rollback()
            return _resume_not_valid()
        except responses.SurveyClosed:
            db.session.rollback()
            return _not_open(campaign)
        except responses.AnswerErrors as exc:
            db.session.rollback()
            for path in exc.errors:
                link_id = path.removeprefix("answers.")
                errors[link_id] = "Answer this question"
        else:
            return redirect(url_for("survey.done"))
    page_of = {item.link_id: p.number for p in pages for item in p.items}
    first = q.scored_items[0].link_id if q.scored_items else ""
    links = {
        link_id: url_for("survey.page", token=token, number=page_of.get(link_id, 1))
        + f"#{link_id if link_id != NOTHING_SCORED else first}"
        for link_id in errors
    }
    groups = _review_groups(q, response)
    html = render_template(
        "survey/review.html",
        token=token,
        campaign=campaign,
        q=q,
        number=len(pages) + 1 + verdict_pages(response),
        total=len(pages) + 1 + verdict_pages(response),
        last_page=len(pages),
        back=url_for("survey.verdicts", token=token) if verdict_pages(response) else None,
        groups=groups,
        answered=sum(1 for g in groups for row in g["rows"] if row["answer"]),
        asked=sum(len(g["rows"]) for g in groups),
        verdict_rows=verdict_review_rows(response),
        errors=errors,
        links=links,
    )
    return (html, 400) if errors else html


@bp.get("/done")
def done() -> str:
    return render_template("survey/done.html")
