"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when TEST_DATABASE_URL
is set (CI runs both). The schema is built by the Alembic migrations, as in production."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, text

from assessor import create_app
from assessor.extensions import db as _db
from assessor.models import Base
from assessor.web.limits import limiter

#: The API tests' small world (its fixtures serve tests across the tree).
pytest_plugins = ["tests.fixtures.api", "tests.support.smtp", "tests.support.notify"]

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRES_DIR = ROOT / "questionnaires"


def _postgres_scratch_url(base_url: str) -> Iterator[str]:
    """A fresh database per test session (and per xdist worker) on the given server."""
    name = f"assessor_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base_url.rsplit("/", 1)[0] + "/" + name
    yield url
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if base and base.startswith("postgresql"):
        yield from _postgres_scratch_url(base)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "MIN_RESPONDENTS": 5,
            # The service never goes below k = 5; hand-computed fixtures of k = 3 predate it.
            "TEST_FLOOR_MIN_RESPONDENTS": 3,
            "PREVIEW_SECONDS": 0,
            "QUESTIONNAIRES_DIR": str(QUESTIONNAIRES_DIR),
            "RATELIMIT_STORAGE_URI": "memory://",
            # scrypt at a 32nd of the production cost: tests create hundreds of users.
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    with app.app_context():
        from assessor.cli.core import upgrade_database

        upgrade_database()
        yield app
        _db.session.remove()
        _db.engine.dispose()


class _ConnectionSession(FlaskSession):
    """Flask-SQLAlchemy's session, but bound to the test's connection when given one."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):  # type: ignore[no-untyped-def,override]
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "real_commits: the test commits for real (other connections, threads or processes "
        "must see its rows); every table is emptied after it",
    )


@pytest.fixture()
def db(app: Flask, request: pytest.FixtureRequest) -> Iterator[object]:
    """The database session. Each test runs inside one outer transaction rolled back at its
    end (`session.commit()` releases a SAVEPOINT), so tests never see each other's rows.
    Tests marked `real_commits` commit for real and every table is emptied after them.
    Request limits are reset either way, so one test's failed sign-ins never throttle
    another's."""
    limiter.reset()
    if request.node.get_closest_marker("real_commits"):
        yield _db
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        _db.session.remove()
        return
    _db.session.remove()
    connection = _db.engine.connect()
    outer = connection.begin()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLAlchemy's pysqlite recipe, on this connection only: pysqlite would not begin
        # the transaction itself before a SAVEPOINT. (Other connections keep pysqlite's
        # own behaviour, so a live server's readers hold no lock.)
        connection.connection.dbapi_connection.isolation_level = None
        connection.exec_driver_sql("BEGIN")
    shared = _db.session
    _db.session = _db._make_scoped_session(
        {
            "bind": connection,
            "join_transaction_mode": "create_savepoint",
            "class_": _ConnectionSession,
        }
    )
    try:
        yield _db
    finally:
        _db.session.remove()
        _db.session = shared
        if outer.is_active:
            outer.rollback()
        if sqlite:
            connection.connection.dbapi_connection.isolation_level = ""
        connection.close()


class RequestPerContextClient(FlaskClient):
    """Runs each request in its own app context, as in production. The `app` fixture keeps
    one app context open for the session, which the test client would otherwise reuse, so
    `flask.g` (where Flask-Login caches the signed-in user) would leak between requests."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture()
def client(app: Flask, db: object) -> FlaskClient:
    return RequestPerContextClient(app, app.response_class, use_cookies=True)


class AssessorRunner(FlaskCliRunner):
    """Invokes the `assessor` command (not app.cli) against the test app."""

    def invoke(self, cli=None, args=None, **kwargs):  # type: ignore[no-untyped-def,override]
        from assessor.cli import main

        return super().invoke(cli or main, args, **kwargs)


@pytest.fixture()
def runner(app: Flask, db: object) -> AssessorRunner:
    return AssessorRunner(app)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A live server answers from its own threads and connections: it needs real commits.
    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_commits)
