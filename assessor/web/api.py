"""The JSON API (api.md): flask-smorest blueprints, one module per resource, documented in
the OpenAPI document at /api/openapi.json from the same marshmallow schemas that validate
requests."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar

from flask import Flask

from assessor.extensions import api
from assessor.web.errors import PROBLEM_JSON
from assessor.web.schemas import ProblemSchema

BEARER_SCHEME = "bearerAuth"
#: The response component every error refers to.
PROBLEM_RESPONSE = "Problem"

F = TypeVar("F", bound=Callable[..., Any])


def problem_responses(*statuses: int | str) -> Callable[[F], F]:
    """Document problem+json responses (404, 409, 422...) an operation may answer."""

    def decorator(func: F) -> F:
        doc = deepcopy(getattr(func, "_apidoc", {}))
        responses = doc.setdefault("response", {}).setdefault("responses", {})
        for status in statuses:
            responses.setdefault(status, []).append(PROBLEM_RESPONSE)
        func._apidoc = doc  # type: ignore[attr-defined]
        return func

    return decorator


def init_api(app: Flask) -> None:
    """The API object and its documented components; each feature registers its own
    resources (its init_app)."""

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
