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


def test_cell_statistics_survive_0006_down_and_up_exactly(empty_url: str) -> None:
    """0006 folds cell_stat and cell_detail rows into one row of arrays per cell; going down
    and up again must give back every statistic and profile count to the last bit."""
    import random

    from assessor import create_app, results
    from assessor.cli.core import upgrade_database
    from assessor.extensions import db
    from assessor.responses import submission as responses
    from tests.conftest import QUESTIONNAIRES_DIR
    from tests.support.factories import add_orgs, make_campaign, questionnaire, set_window

    app = create_app(
        {
            "TESTING": True,
            "TEST_FLOOR_MIN_RESPONDENTS": 3,
            "SQLALCHEMY_DATABASE_URI": empty_url,
            "SECRET_KEY": "test",
            "QUESTIONNAIRES_DIR": str(QUESTIONNAIRES_DIR),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    options = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree", "dont_know"]
    rng = random.Random(6)
    with app.app_context():
        upgrade_database()
        add_orgs(("A01", "London", "Urban"), ("B02", "Midlands", "Rural"))
        campaigns = []
        for slug, version, previous in (("y1", 1, None), ("y2", 2, "y1")):
            campaign = make_campaign(slug, version=version, state="open", previous=previous)
            q = questionnaire(campaign)
            for _ in range(12):
                answers = {i.link_id: rng.choice(options) for i in q.scored_items}
                responses.submit(campaign, rng.choice(["A01", "B02"]), "staff", answers)
            set_window(campaign, "closed")
            campaigns.append(campaign.id)
        db.session.commit()

        def everything() -> list[tuple[dict, dict]]:
            from assessor.models import Campaign

            found = [db.session.get(Campaign, cid) for cid in campaigns]
            return [(results.cells.statistics(c), results.cells.profile_counts(c)) for c in found]

        before = everything()
        assert any(v[0] for v in before[1][0].values() if v)
        db.session.remove()
        db.engine.dispose()
        command.downgrade(_config(empty_url), "0005")
        engine = create_engine(empty_url)
        assert {"cell_stat", "cell_detail"} <= set(inspect(engine).get_table_names())
        engine.dispose()
        command.upgrade(_config(empty_url), "head")
        assert everything() == before
        db.session.remove()
        db.engine.dispose()


def test_0007_carries_cosignatures_into_plan_versions_down_and_up(empty_url: str) -> None:
    """Co-signatures of two wordings of one plan become versions 1 and 2 in the order they
    were first given, a plan changed since gets version 3, and links follow their digest;
    down to 0006 and up again gives the same versions."""
    from datetime import date

    from assessor import create_app
    from assessor.cli.core import upgrade_database
    from assessor.extensions import db
    from assessor.models import Action
    from tests.conftest import QUESTIONNAIRES_DIR
    from tests.support.factories import add_orgs, make_campaign

    app = create_app(
        {
            "TESTING": True,
            "TEST_FLOOR_MIN_RESPONDENTS": 3,
            "SQLALCHEMY_DATABASE_URI": empty_url,
            "SECRET_KEY": "test",
            "QUESTIONNAIRES_DIR": str(QUESTIONNAIRES_DIR),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    form = {"domain": "governance", "title": "Seats", "description": "", "status": "planned"}
    with app.app_context():
        upgrade_database()
        add_orgs(("A01", "London", "Urban"))
        campaign = make_campaign("c1", state="closed", k=3)
        action = Action(campaign_id=campaign.id, org_code="A01", due_on=date(2026, 4, 30), **form)
        db.session.add(action)
        db.session.commit()
        campaign_id, action_id = campaign.id, action.id
        db.session.remove()
        db.engine.dispose()

    command.downgrade(_config(empty_url), "0006")
    engine = create_engine(empty_url)
    cosigns = [("old", date(2026, 3, 3), False), ("old", date(2026, 3, 5), False)]
    cosigns += [("new", date(2026, 3, 9), True), ("old", date(2026, 3, 10), True)]
    with engine.begin() as conn:
        for digest, day, agrees in cosigns:
            conn.execute(
                text(
                    "INSERT INTO cosign (campaign_id, org_code, plan_digest, agrees, given_on)"
                    " VALUES (:c, 'A01', :d, :a, :g)"
                ),
                {"c": campaign_id, "d": digest, "a": agrees, "g": day},
            )
        for i, digest in enumerate(("new", "gone")):
            conn.execute(
                text(
                    "INSERT INTO cosign_link (campaign_id, org_code, token_hash, plan_digest,"
                    " expires_at, used) VALUES (:c, 'A01', :t, :d, '2027-01-01 00:00:00', :u)"
                ),
                {"c": campaign_id, "t": f"hash{i}", "d": digest, "u": False},
            )

    def versions() -> tuple[list, list, list]:
        with engine.connect() as conn:
            return (
                conn.execute(
                    text("SELECT number, plan_digest, opened_on FROM plan_version ORDER BY number")
                ).all(),
                conn.execute(text("SELECT plan_digest, version FROM cosign ORDER BY id")).all(),
                conn.execute(text("SELECT token_hash, version FROM cosign_link ORDER BY id")).all(),
            )

    command.upgrade(_config(empty_url), "0007")
    found, signed, links = versions()
    assert [(n, d, str(o)[:10]) for n, d, o in found[:2]] == [
        (1, "old", "2026-03-03"),
        (2, "new", "2026-03-09"),
    ]
    assert found[2][0] == 3 and found[2][1] not in ("old", "new")  # today's plan
    assert [tuple(r) for r in signed] == [("old", 1), ("old", 1), ("new", 2), ("old", 1)]
    assert [tuple(r) for r in links] == [("hash0", 2), ("hash1", 3)]

    command.downgrade(_config(empty_url), "0006")
    assert "plan_version" not in inspect(engine).get_table_names()
    assert "version" not in {c["name"] for c in inspect(engine).get_columns("cosign")}
    command.upgrade(_config(empty_url), "head")
    assert versions() == (found, signed, links)

    with app.app_context():
        from assessor.actions.cosign import cosign_tallies
        from assessor.models import Campaign

        tallies = cosign_tallies(db.session.get(Campaign, campaign_id), "A01", admin=True)
        assert [(t.number, t.tally.counts) for t in tallies] == [
            (3, {"agree": 0, "disagree": 0}),
            (2, {"agree": 1, "disagree": 0}),
            (1, {"agree": 1, "disagree": 2}),
        ]
        assert action_id
        db.session.remove()
        db.engine.dispose()
    engine.dispose()
