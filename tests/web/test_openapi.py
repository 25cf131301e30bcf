"""The OpenAPI document: valid, complete, and true of the running API (schemathesis)."""

from __future__ import annotations

import functools
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assessor.extensions import db
from assessor.models import Response
from tests.fixtures.api import KEY, OPEN

#: Examples per operation and mode: about half a minute for the whole matrix on two cores.
EXAMPLES = 60

EXPECTED_PATHS = {
    "/api/v1/health": {"get"},
    "/api/v1/organisations": {"get"},
    "/api/v1/questionnaires": {"get"},
    "/api/v1/questionnaires/{key}/{version}": {"get"},
    "/api/v1/questionnaires/{key}/{version}/fhir": {"get"},
    "/api/v1/campaigns": {"get"},
    "/api/v1/campaigns/{slug}": {"get"},
    "/api/v1/campaigns/{slug}/publications": {"get"},
    "/api/v1/campaigns/{slug}/results": {"get"},
    "/api/v1/campaigns/{slug}/results/{code}": {"get"},
    "/api/v1/campaigns/{slug}/results.csv": {"get"},
    "/api/v1/campaigns/{slug}/results.xlsx": {"get"},
    "/api/v1/campaigns/{slug}/results.ods": {"get"},
    "/api/v1/campaigns/{slug}/benchmarks": {"get"},
    "/api/v1/campaigns/{slug}/responses": {"get", "post"},
    "/api/v1/campaigns/{slug}/responses/{response_id}/fhir": {"get"},
    "/api/v1/campaigns/{slug}/organisations/{code}/actions": {"get"},
}


@pytest.fixture()
def document(api) -> dict:  # type: ignore[no-untyped-def]
    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_endpoint_is_documented_with_its_security(document):
    paths = {
        path: {m for m in item if m in ("get", "post", "put", "patch", "delete")}
        for path, item in document["paths"].items()
    }
    assert paths == EXPECTED_PATHS
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    for path, methods in EXPECTED_PATHS.items():
        for method in methods:
            operation = document["paths"][path][method]
            if path == "/api/v1/health":
                assert operation["security"] == []
                continue
            assert operation["security"] == [{"bearerAuth": []}]
            for status in ("401", "403"):
                assert operation["responses"][status] == {"$ref": "#/components/responses/Problem"}
    problem = document["components"]["responses"]["Problem"]["content"]
    assert list(problem) == ["application/problem+json"]


def test_requests_and_responses_come_from_the_validating_schemas(document):
    schemas = document["components"]["schemas"]
    submission = schemas["Submission"]
    assert set(submission["required"]) == {"submission_id", "organisation", "audience", "answers"}
    assert submission["properties"]["audience"]["enum"] == ["staff", "patient_leader"]
    post = document["paths"]["/api/v1/campaigns/{slug}/responses"]["post"]
    assert set(post["responses"]) >= {"200", "201", "404", "409", "413", "422"}
    results = document["paths"]["/api/v1/campaigns/{slug}/results"]["get"]
    params = {p["name"]: p for p in results["parameters"]}
    assert params["limit"]["schema"] == {
        "type": "integer", "default": 100, "minimum": 1, "maximum": 1000,
    }  # fmt: skip
    assert params["audience"]["schema"]["enum"] == ["staff", "patient_leader", "combined"]
    page = schemas["ResultPage"]
    assert set(page["required"]) == {"items", "next", "total"}
    assert page["properties"]["next"]["nullable"] is True
    fhir = document["paths"]["/api/v1/questionnaires/{key}/{version}/fhir"]["get"]
    assert list(fhir["responses"]["200"]["content"]) == ["application/fhir+json"]


OPERATIONS = sorted((method.upper(), path) for path, ms in EXPECTED_PATHS.items() for method in ms)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _real_path_parameters(path: str) -> dict[str, object]:
    """Values naming things that exist, so that fuzzed queries and bodies reach the code
    behind the 404s."""
    response = db.session.query(Response).filter_by(status="submitted").first()
    known = {
        "slug": OPEN,
        "key": KEY,
        "version": 2,
        "response_id": response.id,
        "code": "00A",
    }
    return {name: value for name, value in known.items() if "{" + name + "}" in path}


@functools.cache
def _schema(app: Flask) -> Any:
    """The document as schemathesis reads it: once per app (parsing it takes a second)."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.mark.parametrize("mode", ["real", "positive", "negative"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_keeps_its_documented_promises(app: Flask, world, method, path, mode, monkeypatch):
    """Requests generated from the document (schemathesis), with an admin token: no server
    error, and every answer has a documented status, content type and schema. `real` fixes
    the path parameters to an existing campaign, questionnaire and response."""
    # Admins may read a preview this old (the setting); recomputing it per example costs
    # a minute of the suite and tests nothing the document promises.
    monkeypatch.setitem(app.config, "PREVIEW_SECONDS", 3600)
    operation = _schema(app)[path][method]
    generation = GenerationMode.NEGATIVE if mode == "negative" else GenerationMode.POSITIVE
    fixed = _real_path_parameters(path) if mode == "real" else None
    strategy = operation.as_strategy(generation_mode=generation, path_parameters=fixed)
    headers = world.headers("admin")

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        pytest.skip(f"no {mode} data can be generated for {method} {path}")
