"""Questionnaires: the in-memory definition, the file schema and loader, publishing with
checksums, comparability between versions, and the FHIR export."""

from flask import Flask


def init_app(app: Flask) -> None:
    from assessor.extensions import api
    from assessor.questionnaires.api import blp

    api.register_blueprint(blp)
