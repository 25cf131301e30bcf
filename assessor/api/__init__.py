"""The JSON API (api.md): flask-smorest blueprints, one module per resource, documented in
the OpenAPI document at /api/openapi.json from the same marshmallow schemas that validate
requests."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import NotFound, RequestEntityTooLarge, UnprocessableEntity

from assessor.api.schemas import ProblemSchema
from assessor.api.security import BEARER_SCHEME, PROBLEM_RESPONSE
from assessor.extensions import api

PROBLEM_JSON = "application/problem+json"


def init_api(app: Flask) -> None:
    from assessor import errors
    from assessor.api import campaigns, docs, health, organisations, questionnaires, responses

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
    for module in (health, organisations, questionnaires, campaigns, responses):
        api.register_blueprint(module.blp)
    app.register_blueprint(docs.bp)

    @app.before_request
    def guard_api_requests() -> None:
        """413 before anything else, the token included: read (at most MAX_CONTENT_LENGTH
        bytes of) the body now, so that an oversized one is refused even without a
        Content-Length. Then refuse NUL characters in the path (404) or the query (422):
        no name or filter contains one, and PostgreSQL cannot compare them."""
        if not request.path.startswith("/api/"):
            return
        _refuse_large_body(app)
        if "\x00" in request.path:
            raise NotFound()
        bad = sorted(
            {key for key, value in request.args.items(multi=True) if "\x00" in key + value}
        )
        if bad:
            invalid = UnprocessableEntity("NUL characters are not allowed in the query.")
            invalid.data = {"messages": {key: ["NUL characters are not allowed."] for key in bad}}
            raise invalid


def _refuse_large_body(app: Flask) -> None:
    limit = app.config.get("MAX_CONTENT_LENGTH")
    if limit is None:
        return
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    if request.method in ("POST", "PUT", "PATCH"):
        request.get_data(cache=True)
