"""The migrations build the schema from empty, tear it down again, and agree with the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from assessor.models import Base
from tests.conftest import ROOT


@pytest.fixture()
def empty_url(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    base = os.environ.get("TEST_DATABASE_URL")
    if base and base.startswith("postgresql"):
        name = f"assessor_mig_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.rsplit("/", 1)[0] + "/" + name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


def _config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def test_one_head() -> None:
    heads = ScriptDirectory.from_config(_config("sqlite://")).get_heads()
    assert len(heads) == 1


def test_upgrade_to_head_and_down_to_empty(empty_url: str) -> None:
    cfg = _config(empty_url)
    command.upgrade(cfg, "head")
    engine = create_engine(empty_url)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    command.downgrade(cfg, "base")
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    engine.dispose()


def test_models_and_migrations_agree(empty_url: str) -> None:
    command.upgrade(_config(empty_url), "head")
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []
