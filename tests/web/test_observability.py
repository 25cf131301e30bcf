"""JSON logs with a request id, and Prometheus metrics: off by default, behind a token when
one is set, counting requests by route (never by path: paths hold tokens) and messages."""

from __future__ import annotations

import json

import pytest

from assessor import create_app
from tests.conftest import RequestPerContextClient


def test_each_request_logs_one_json_line_with_its_request_id(client, capsys) -> None:
    first = client.get("/health/live")
    given = client.get("/health/live", headers={"X-Request-ID": "from-the-proxy-1234"})
    assert given.headers["X-Request-ID"] == "from-the-proxy-1234"
    odd = client.get("/health/live", headers={"X-Request-ID": "no spaces allowed"})
    client.get("/i/a-secret-invitation-token")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    requests = [line for line in lines if line["event"] == "request"]
    assert [r["request_id"] for r in requests[:3]] == [
        first.headers["X-Request-ID"],
        "from-the-proxy-1234",
        odd.headers["X-Request-ID"],
    ]
    assert odd.headers["X-Request-ID"] != "no spaces allowed"
    assert requests[0]["route"] == "/health/live" and requests[0]["status"] == 200
    assert requests[3]["route"] == "/i/<token>"
    assert "a-secret-invitation-token" not in json.dumps(lines)


def test_metrics_are_off_by_default(client) -> None:
    assert client.get("/metrics").status_code == 404


@pytest.fixture(scope="module")
def metrics_app(database_url):  # type: ignore[no-untyped-def]
    # One such app per process: the exporter registers its metrics globally.
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "METRICS": True,
            "METRICS_TOKEN": "scrape-me",
            "REDIS_URL": "",
        }
    )


def test_metrics_behind_a_token_count_requests_by_route(metrics_app) -> None:
    client = RequestPerContextClient(metrics_app, metrics_app.response_class)
    client.get("/health/live")
    client.get("/i/another-secret-token")
    assert client.get("/metrics").status_code == 401
    page = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'url_rule="/health/live"' in text and 'url_rule="/i/<token>"' in text
    assert "another-secret-token" not in text
    assert (
        'assessor_http_request_duration_seconds_count{method="GET",status="200",'
        'url_rule="/health/live"}'
    ) in text
    assert 'assessor_messages_total{channel="email",kind="invitation",outcome="sent"}' in text
    assert 'assessor_submissions_total{audience="patient_leader"}' in text
