"""The pages respondents fill in: open and invitation links, one page per domain, review,
confirmation. Thin views over assessor.responses and assessor.invitations."""

from flask import Blueprint

bp = Blueprint("survey", __name__)

from assessor.survey import verdict_page, views  # noqa: E402,F401
