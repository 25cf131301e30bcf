"""Finding an organisation on the public campaign page at national scale: the median time of
a search request (by name, by code, by region, and the next page), served through the app.

Target (issue 12): at most 100 ms median at 7,000 organisations. `time_search(app, slug)` is
the reusable part (benchmarks/national.py may call it on its own data set); run alone, this
script builds a synthetic 7,000-organisation campaign on SQLite, closes and publishes it.

    .venv/bin/python benchmarks/public_search.py [--orgs 7000] [--repeat 30] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
QUERIES = (
    "",  # the first page of everything
    "q=bolton",  # part of a name
    "q=O12",  # the start of a code
    "region=Region+3",
    "q=org+1&region=Region+2&page=2",
)


def time_search(app: Flask, slug: str, repeat: int = 30) -> float:
    """Print and return the median milliseconds of GET /results/<slug>?<query> over QUERIES."""
    client = app.test_client()
    times: list[float] = []
    for query in QUERIES:
        url = f"/results/{slug}?{query}"
        assert client.get(url).status_code == 200  # warm: snapshot and query plans cached
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    median = statistics.median(times)
    print(
        f"public search, {slug}: median {median:.1f} ms, p90"
        f" {statistics.quantiles(times, n=10)[-1]:.1f} ms over {len(times)} requests"
    )
    return median


def _median_ms(app: Flask, url: str, repeat: int, label: str) -> float:
    """The cost of a request that touches no campaign: what the machine and Flask cost alone,
    to read the other figures against on a busy machine."""
    client = app.test_client()
    client.get(url)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    print(f"{label}: median {median:.1f} ms")
    return median


def time_organisation_page(app: Flask, slug: str, codes: list[str], repeat: int = 30) -> float:
    """Print and return the median milliseconds of an organisation's public page."""
    client = app.test_client()
    times: list[float] = []
    for code in codes:
        url = f"/results/{slug}/{code}"
        assert client.get(url).status_code == 200
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    median = statistics.median(times)
    print(f"organisation page, {slug}: median {median:.1f} ms over {len(times)} requests")
    return median


def build(app: Flask, n_orgs: int) -> str:
    """A closed, published campaign over `n_orgs` synthetic organisations (no responses: a
    search reads names and codes only)."""
    from assessor import results
    from assessor.campaigns import service as campaigns
    from assessor.cli.core import upgrade_database
    from assessor.extensions import db
    from assessor.models import Organisation, utcnow
    from assessor.questionnaires.publishing import publish_directory

    with app.app_context():
        upgrade_database()
        publish_directory(ROOT / "questionnaires")
        db.session.add_all(
            Organisation(
                code=f"O{i:04d}",
                name=f"NHS Org {i} {'Bolton' if i % 500 == 0 else 'Trust'}",
                kind="sub_icb",
                region=f"Region {i % 7}",
                peer_group=f"Peer {i % 4}",
                closed=False,
            )
            for i in range(n_orgs)
        )
        db.session.flush()
        now = utcnow()
        campaign = campaigns.create_campaign(
            "national",
            "National",
            "engagement-maturity",
            2,
            opens_at=now - timedelta(days=30),
            closes_at=now - timedelta(days=1),
        )
        results.publish_first(campaign)
        db.session.commit()
        return campaign.slug


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=7000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--postgres",
        metavar="SERVER_URL",
        help="run on a scratch database of this PostgreSQL server (default: a SQLite file),"
        " e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            with _scratch_postgres(args.postgres) as url:
                _run(url, args.orgs, args.repeat)
        else:
            _run(f"sqlite:///{tmp}/search.db", args.orgs, args.repeat)


def _run(url: str, n_orgs: int, repeat: int) -> None:
    from assessor import create_app
    from assessor.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "QUESTIONNAIRES_DIR": str(ROOT / "questionnaires")}
    )
    started = time.perf_counter()
    slug = build(app, n_orgs)
    elapsed = time.perf_counter() - started
    print(f"{url.split(':')[0]}: built {n_orgs} organisations in {elapsed:.1f} s")
    _median_ms(app, "/privacy", repeat * 3, "baseline (privacy notice, no query of results)")
    time_search(app, slug, repeat)
    time_organisation_page(
        app, slug, ["O0000", f"O{n_orgs // 2:04d}", f"O{n_orgs - 1:04d}"], repeat
    )
    with app.app_context():
        db.engine.dispose()


@contextmanager
def _scratch_postgres(server: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"assessor_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
