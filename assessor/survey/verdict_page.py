"""The verdict page: after the scored pages, a patient leader whose organisation had a plan
after the previous campaign is asked, for each action, whether it happened and whether it
made a difference. Unscored; answers are kept apart from the questionnaire's (see
assessor.actions.verdicts)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from assessor.actions.operations import STATUS_LABELS, domain_titles
from assessor.actions.verdicts import (
    DIFFERENCE_FIELD,
    DIFFERENCE_LABELS,
    HAPPENED_FIELD,
    HAPPENED_LABELS,
    VerdictErrors,
    actions_to_judge,
    save_verdicts,
    saved_verdicts,
)
from assessor.auth.csrf import check_csrf
from assessor.extensions import db
from assessor.survey.pages import survey_pages
from assessor.survey.views import Page, _not_open, _open_response, bp


@bp.route("/r/<token>/actions", methods=["GET", "POST"])
def verdicts(token: str) -> Page:
    response, campaign, q = _open_response(token)
    actions = actions_to_judge(response)
    scored = len(survey_pages(q))
    if not actions:
        return redirect(url_for("survey.review", token=token))
    errors: dict[str, str] = {}
    if request.method == "POST":
        check_csrf()
        if campaign.status != "open":
            return _not_open(campaign)
        try:
            save_verdicts(response, request.form, actions)
        except VerdictErrors as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            action = request.form.get("action", "continue")
            if action == "back":
                return redirect(url_for("survey.page", token=token, number=scored))
            if action == "save":
                return redirect(url_for("survey.verdicts_saved", token=token))
            return redirect(url_for("survey.review", token=token))
    saved = saved_verdicts(response)
    previous = campaign.previous
    assert previous is not None
    html = render_template(
        "actions/survey_verdicts.html",
        token=token,
        campaign=campaign,
        previous=previous,
        q=q,
        number=scored + 1,
        total=scored + 2,
        questions=[
            {
                "action": action,
                "domain": domain_titles(previous).get(action.domain, action.domain),
                "status": STATUS_LABELS.get(action.status, action.status),
                "happened_field": HAPPENED_FIELD.format(action.id),
                "difference_field": DIFFERENCE_FIELD.format(action.id),
                "happened": saved[action.id].happened if action.id in saved else None,
                "difference": saved[action.id].difference if action.id in saved else None,
            }
            for action in actions
        ],
        happened_options=HAPPENED_LABELS,
        difference_options=DIFFERENCE_LABELS,
        errors=errors,
    )
    return (html, 400) if errors else html


@bp.get("/r/<token>/actions/saved")
def verdicts_saved(token: str) -> Page:
    _, campaign, _ = _open_response(token)
    path = url_for("survey.verdicts", token=token)
    return render_template(
        "survey/saved.html",
        campaign=campaign,
        resume_link=request.host_url.rstrip("/") + path,
        back=path,
    )
