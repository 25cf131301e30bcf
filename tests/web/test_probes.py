"""`/health/live` and `/health/ready`: ready only when the database, Redis and the queue
answer (503 otherwise), against a real Redis and a database that is not there."""

from __future__ import annotations

import socket

from assessor import create_app
from tests.support.redis import needs_redis


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_live_and_ready_without_redis(client, app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    assert client.get("/health/live").get_json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not used",
        "queue": "inline",
    }


def test_not_ready_when_redis_is_down(client, app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "5"
    assert ready.get_json()["redis"] == "unreachable"
    assert client.get("/health/live").status_code == 200


@needs_redis
def test_ready_with_redis_reports_the_queue(client, app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/14")
    monkeypatch.setitem(app.config, "QUEUE_NAME", "probe-test-empty")
    ready = client.get("/health/ready")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["queue"] == {"waiting": 0}


def test_not_ready_when_the_database_is_down() -> None:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": (
                f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nowhere"
                "?connect_timeout=1"
            ),
            "REDIS_URL": "",
        }
    )
    with app.test_client() as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.get_json()["database"] == "unreachable"
        assert client.get("/health/live").status_code == 200
