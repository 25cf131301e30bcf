"""Sustained concurrent submissions through the real HTTP stack, with none lost or doubled.

Starts gunicorn (several workers) on a scratch PostgreSQL database, then many client threads
POST responses to /api/v1/campaigns/<slug>/responses. Every client also resends some of its
submissions (same submission_id and body, as a client does after a timeout), and a few
resends race the original. Afterwards it checks, in the database: one stored response per
submission_id, every 201/200 answered id stored, cell statistics equal to a rebuild from raw
answers. Prints throughput and latency percentiles.

    .venv/bin/python benchmarks/submissions.py [--clients 16] [--per-client 60] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
OPTIONS = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree", "dont_know"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(url: str, n_orgs: int) -> tuple[str, list[str], list[str]]:
    """Schema, questionnaires, organisations, an open campaign and a token."""
    from assessor import campaigns, create_app
    from assessor.auth.tokens import create_token
    from assessor.cli.core import upgrade_database
    from assessor.extensions import db
    from assessor.models import Organisation
    from assessor.questionnaires.publishing import definition_of, publish_directory

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade_database()
        publish_directory(ROOT / "questionnaires")
        orgs = [f"O{i:03d}" for i in range(n_orgs)]
        db.session.add_all(
            Organisation(code=c, name=c, kind="sub_icb", region="R", peer_group="P", closed=False)
            for c in orgs
        )
        db.session.flush()
        from assessor.models import utcnow

        now = utcnow()
        from datetime import timedelta

        campaign = campaigns.create_campaign(
            "load",
            "Load",
            "engagement-maturity",
            2,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
            access="open",
        )
        link_ids = [i.link_id for i in definition_of(campaign.questionnaire).scored_items]
        _, raw = create_token("load test", ["responses:write"], None)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return raw, orgs, link_ids


def verify(url: str, accepted: dict[str, str]) -> dict[str, int]:
    from assessor import create_app, results
    from assessor.campaigns import get_campaign
    from assessor.extensions import db
    from assessor.models import Response

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        campaign = get_campaign("load")
        stored = dict(
            db.session.execute(
                select(Response.submission_id, Response.id).where(
                    Response.campaign_id == campaign.id
                )
            ).all()
        )
        duplicates = db.session.scalar(
            select(func.count()).select_from(
                select(Response.submission_id)
                .where(Response.campaign_id == campaign.id)
                .group_by(Response.submission_id)
                .having(func.count() > 1)
                .subquery()
            )
        )

        def snapshot() -> dict:
            return results.cells.statistics(campaign)

        maintained = snapshot()
        results.rebuild(campaign)
        db.session.flush()
        rebuilt = snapshot()
        mismatched = sum(
            1
            for key, (n, total, sq) in rebuilt.items()
            if maintained[key][0] != n
            or abs(maintained[key][1] - total) > 1e-6
            or abs(maintained[key][2] - sq) > 1e-6
        )
        db.session.rollback()
        lost = sum(1 for sid, rid in accepted.items() if stored.get(sid) != rid)
        db.session.remove()
        db.engine.dispose()
    return {
        "stored": len(stored),
        "duplicated_ids": duplicates,
        "lost": lost,
        "cells_differing_from_rebuild": mismatched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--orgs", type=int, default=20)
    args = parser.parse_args()

    name = f"assessor_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_BASE.rsplit("/", 1)[0] + "/" + name
    server = None
    try:
        token, orgs, link_ids = setup(url, args.orgs)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "OPENBLAS_NUM_THREADS": "1",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "API_SUBMISSIONS_LIMIT": "1000000 per minute",
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        endpoint = f"{base}/api/v1/campaigns/load/responses"
        accepted: dict[str, str] = {}
        statuses: dict[int, int] = {}
        latencies: list[float] = []
        lock = threading.Lock()

        def post(body: bytes) -> tuple[int, dict]:
            request = urllib.request.Request(
                endpoint,
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as reply:
                    status, payload = reply.status, json.loads(reply.read())
            except urllib.error.HTTPError as exc:
                status, payload = exc.code, {}
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
            return status, payload

        def client(seed: int) -> None:
            rng = random.Random(seed)
            for i in range(args.per_client):
                sid = f"c{seed}-{i}"
                body = json.dumps(
                    {
                        "submission_id": sid,
                        "organisation": rng.choice(orgs),
                        "audience": rng.choice(["staff", "patient_leader"]),
                        "answers": {k: rng.choice(OPTIONS) for k in link_ids if rng.random() < 0.9},
                    }
                ).encode()
                sends = 2 if rng.random() < 0.2 else 1  # a resend after a "timeout"
                if rng.random() < 0.05:  # a resend racing the original
                    racer = threading.Thread(target=post, args=(body,))
                    racer.start()
                    post(body)
                    racer.join()
                    sends = 1
                for _ in range(sends):
                    status, payload = post(body)
                    if status in (200, 201):
                        with lock:
                            if accepted.setdefault(sid, payload["id"]) != payload["id"]:
                                accepted[sid] = "CONFLICTING IDS"

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(s,)) for s in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = None
        checks = verify(url, accepted)
        lat = np.array(latencies) * 1000
        print(
            f"{args.clients} clients x {args.per_client} submissions, gunicorn -w {args.workers},"
            f" PostgreSQL"
        )
        print(
            f"  requests sent            {len(latencies):>8,}  ({dict(sorted(statuses.items()))})"
        )
        print(
            f"  throughput               {len(latencies) / elapsed:>8.0f} requests/s"
            f" over {elapsed:.1f} s"
        )
        p50, p95, p99 = np.percentile(lat, [50, 95, 99])
        print(f"  latency p50 / p95 / p99  {p50:.0f} / {p95:.0f} / {p99:.0f} ms")
        print(f"  distinct submissions     {args.clients * args.per_client:>8,}")
        for key, value in checks.items():
            print(f"  {key.replace('_', ' '):24} {value:>8,}")
        ok = (
            checks["stored"] == args.clients * args.per_client
            and checks["lost"] == 0
            and checks["duplicated_ids"] == 0
            and checks["cells_differing_from_rebuild"] == 0
        )
        print("  verdict                  " + ("none lost or duplicated" if ok else "FAILED"))
    finally:
        if server is not None:
            server.kill()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
