"""The pages respondents fill in: open and invitation links, a page per domain (or part), review,
confirmation, and the verdict pages on last round's action plan. Thin views over
assessor.responses and assessor.campaigns.invitations."""

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor.survey import verdict_page  # noqa: F401  (its routes join the blueprint)
    from assessor.survey.views import bp

    app.register_blueprint(bp)
