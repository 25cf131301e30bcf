"""The landing page that `make demo` points people to, the methodology, the privacy notice
and the easy-read guide."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from assessor.extensions import db
from assessor.models import Campaign, QuestionnaireVersion
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.web.notices import notice_setting

bp = Blueprint("public", __name__)


@bp.get("/")
def index() -> str:
    campaigns = db.session.scalars(db.select(Campaign).order_by(Campaign.created_at)).all()
    return render_template("public/index.html", campaigns=campaigns)


def _latest_questionnaire() -> Questionnaire | None:
    row = db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.status == "published")
        .order_by(QuestionnaireVersion.key, QuestionnaireVersion.version.desc())
    )
    return definition_of(row) if row is not None else None


@bp.get("/methodology")
def methodology() -> str:
    """How the ladder, the scores and the statistics work, in plain English: co-assessment
    starts with patient leaders being able to check how they were counted."""
    return render_template(
        "public/methodology.html",
        q=_latest_questionnaire(),
        k=current_app.config["MIN_RESPONDENTS"],
    )


@bp.get("/privacy")
def privacy() -> str:
    return render_template(
        "public/privacy.html",
        k=current_app.config["MIN_RESPONDENTS"],
        setting=notice_setting,
    )


@bp.get("/easy-read")
def easy_read() -> str:
    """The ladder and how to read the results in short sentences, one idea each, with
    pictures drawn as inline SVG: for patient leaders taking the results to a meeting."""
    return render_template(
        "public/easy_read.html",
        q=_latest_questionnaire(),
        k=current_app.config["MIN_RESPONDENTS"],
    )
