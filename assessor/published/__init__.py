"""Published results, readable by everyone without signing in: patient leaders above all
(design.md, "Everyone"), and the landing, methodology, privacy and easy-read pages. Nothing is
shown here that the disclosure rule withholds."""

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor.published import report  # noqa: F401  (its routes join the blueprint)
    from assessor.published.landing import bp as landing_bp
    from assessor.published.views import bp

    app.add_template_global(campaign_state)
    app.register_blueprint(landing_bp)
    app.register_blueprint(bp)


def campaign_state(campaign) -> str:  # type: ignore[no-untyped-def]
    """A campaign's state in words, for "This campaign is ...": a campaign whose closing
    date has passed before its results are published says so."""
    from assessor.results.reading import awaiting_publication

    if awaiting_publication(campaign):
        return "closed: the closing date has passed, and results will be published shortly"
    return str(campaign.status)
