"""The JSON API (api.md): flask-smorest blueprints, one module per resource, documented in
the OpenAPI document at /api/openapi.json from the same marshmallow schemas that validate
requests."""

from __future__ import annotations

from flask import Flask

from assessor.api.schemas import ProblemSchema
from assessor.api.security import BEARER_SCHEME, PROBLEM_RESPONSE
from assessor.extensions import api

PROBLEM_JSON = "application/problem+json"


def init_api(app: Flask) -> None:
    from assessor import errors
    from assessor.api import (
        actions,
        campaigns,
        docs,
        health,
        organisations,
        questionnaires,
        responses,
    )

    # Errors are documented per operation as problem+json (security.PROBLEM_RESPONSE), not
    # as flask-smorest's own JSON error shape.
    api.DEFAULT_ERROR_RESPONSE_NAME = None
    api.ERROR_SCHEMA = ProblemSchema
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Patient-leadership engagement maturity: organisations,"
                " questionnaires, campaigns, published results, benchmarks and record-level"
                " responses. Every error is application/problem+json (RFC 9457).",
            },
        },
    )
    api.init_app(app)
    # flask-smorest registers its own HTTPException handler (plain JSON); put back the
    # application's, which answers problem+json under /api/ and pages elsewhere.
    errors.init_app(app)

    api.spec.components.security_scheme(
        BEARER_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `assessor tokens create`, as `Authorization: Bearer"
            " <token>`.",
        },
    )
    api.spec.components.response(
        PROBLEM_RESPONSE,
        {
            "description": "An error, as an RFC 9457 problem document.",
            "content": {PROBLEM_JSON: {"schema": ProblemSchema}},
        },
    )
    for module in (health, organisations, questionnaires, campaigns, responses, actions):
        api.register_blueprint(module.blp)
    app.register_blueprint(docs.bp)
