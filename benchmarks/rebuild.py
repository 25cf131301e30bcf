"""Full rebuild of a campaign from the database: 200 organisations x 1,000 respondents x 30
scored items (synthetic, seeded), on SQLite and on PostgreSQL.

Prints wall time and rows per second for the first rebuild (which writes every respondent's
scores) and a second one (scores unchanged, only cell statistics rewritten), the time to read
results afterwards, and peak resident memory. On PostgreSQL the table is vacuumed and
analysed after the bulk load, as autovacuum would do to a live table.
Target: a full rebuild of 200,000 responses in 15 s on either database.

    .venv/bin/python benchmarks/rebuild.py [--orgs 200] [--per-org 1000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def run(url: str, n_orgs: int, per_org: int, seed: int) -> dict[str, float]:
    from assessor import create_app, results
    from assessor.campaigns import service as campaigns
    from assessor.cli.core import upgrade_database
    from assessor.extensions import db
    from assessor.models import Organisation, Response
    from assessor.models.response import new_response_id
    from assessor.questionnaires.definition import AGREEMENT_OPTIONS
    from assessor.questionnaires.publishing import definition_of, publish_directory
    from assessor.results.compute import compute

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "QUESTIONNAIRES_DIR": str(ROOT / "questionnaires")}
    )
    figures: dict[str, float] = {}
    with app.app_context():
        upgrade_database()
        publish_directory(ROOT / "questionnaires")
        db.session.add_all(
            Organisation(
                code=f"O{i:03d}",
                name=f"Org {i}",
                kind="sub_icb",
                region=f"Region {i % 7}",
                peer_group=f"Peer {i % 4}",
                closed=False,
            )
            for i in range(n_orgs)
        )
        db.session.flush()
        campaign = campaigns.create_campaign(
            "bench", "Bench", "engagement-maturity", 1, access="open"
        )
        q = definition_of(campaign.questionnaire)
        keys = [k for k, _, _ in AGREEMENT_OPTIONS]
        rng = np.random.default_rng(seed)
        scored = [item.link_id for item in q.scored_items]
        started = time.perf_counter()
        for i in range(n_orgs):
            codes = rng.choice(
                len(keys), size=(per_org, len(scored)), p=[0.08, 0.14, 0.24, 0.3, 0.16, 0.08]
            )
            rows = [
                {
                    "id": new_response_id(),
                    "campaign_id": campaign.id,
                    "org_code": f"O{i:03d}",
                    "audience": "staff" if r % 3 else "patient_leader",
                    "questionnaire_version_id": campaign.questionnaire_version_id,
                    "answers": {link: keys[c] for link, c in zip(scored, codes[r], strict=True)},
                    "status": "submitted",
                }
                for r in range(per_org)
            ]
            db.session.execute(Response.__table__.insert(), rows)
        db.session.commit()
        figures["insert_s"] = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does to a live table soon after a bulk load; without it the
            # first read of 200,000 new rows also pays for setting their hint bits.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        n = n_orgs * per_org
        for label in ("first", "second"):
            started = time.perf_counter()
            results.rebuild(campaign)
            db.session.commit()
            figures[f"rebuild_{label}_s"] = time.perf_counter() - started
            figures[f"rebuild_{label}_rows_per_s"] = n / figures[f"rebuild_{label}_s"]
        # Computing a snapshot from the cell statistics: what a publication or a preview costs.
        started = time.perf_counter()
        compute(campaign)
        figures["results_cold_s"] = time.perf_counter() - started
        started = time.perf_counter()
        results.read(campaign, admin=True).page("combined", limit=100)
        figures["results_warm_s"] = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return figures


def run_all(
    n_orgs: int, per_org: int, seed: int, postgres: bool = True
) -> list[tuple[str, dict[str, float]]]:
    """Rebuild figures on a scratch SQLite file and, if asked, a scratch PostgreSQL database."""
    out: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out.append(("SQLite", run(f"sqlite:///{tmp}/bench.db", n_orgs, per_org, seed)))
    if postgres:
        pg_name = f"assessor_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        try:
            url = PG_BASE.rsplit("/", 1)[0] + "/" + pg_name
            out.append(("PostgreSQL", run(url, n_orgs, per_org, seed)))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()
    return out


def print_rebuild(figures: list[tuple[str, dict[str, float]]], n: int) -> None:
    for name, f in figures:
        print(f"\nFull rebuild of {n:,} responses from {name}")
        print(f"  bulk insert (setup)        {f['insert_s']:8.2f} s")
        for label in ("first", "second"):
            seconds = f[f"rebuild_{label}_s"]
            verdict = "(ok)" if seconds <= 15 else "(MISSED 15 s)"
            print(
                f"  rebuild, {label:6} run        {seconds:8.2f} s"
                f"  {f[f'rebuild_{label}_rows_per_s']:>10,.0f} rows/s  {verdict}"
            )
        print(
            f"  results read, cold / warm  {f['results_cold_s'] * 1000:8.1f} ms"
            f" / {f['results_warm_s'] * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--per-org", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    figures = run_all(args.orgs, args.per_org, args.seed, postgres=not args.skip_postgres)
    print_rebuild(figures, args.orgs * args.per_org)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of this process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
