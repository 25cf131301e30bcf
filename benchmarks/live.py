"""A live service for load and fault runs: a scratch PostgreSQL database, gunicorn started
as `make serve` starts it, client threads submitting through the API over loopback, and the
checks afterwards (every acknowledged submission stored once, nothing half-written,
maintained statistics equal to a rebuild). Used by benchmarks/load.py and the fault tests.
"""

from __future__ import annotations

import http.client
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
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree", "dont_know"]
SLUG = "load"
SECRET_KEY = secrets.token_urlsafe(48)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin(base_url: str, statement: str) -> None:
    # A fresh engine each time: the server may have been restarted in between.
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """A new database on the server of `base_url`, dropped afterwards."""
    name = f"assessor_live_{uuid.uuid4().hex[:8]}"
    _admin(base_url, f'CREATE DATABASE "{name}"')
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        _admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class World:
    token: str
    orgs: list[str]
    link_ids: list[str]


def prepare(url: str, n_orgs: int = 20) -> World:
    """Schema, questionnaires, organisations, an open campaign and a write token."""
    from assessor import create_app
    from assessor.auth.tokens import create_token
    from assessor.campaigns import service as campaigns
    from assessor.cli.core import upgrade_database
    from assessor.extensions import db
    from assessor.models import Organisation, utcnow
    from assessor.questionnaires.publishing import definition_of, publish_directory

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        upgrade_database()
        publish_directory(ROOT / "questionnaires")
        orgs = [f"O{i:03d}" for i in range(n_orgs)]
        db.session.add_all(
            Organisation(code=c, name=c, kind="sub_icb", region="R", peer_group="P", closed=False)
            for c in orgs
        )
        db.session.flush()
        now = utcnow()
        campaign = campaigns.create_campaign(
            SLUG,
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
    return World(raw, orgs, link_ids)


class Server:
    """gunicorn with gunicorn.conf.py (as `make serve`), on a free loopback port."""

    def __init__(self, url: str, workers: int = 4, threads: int = 8, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET_KEY,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "API_SUBMISSIONS_LIMIT": "1000000 per minute",
            # As in production with several workers: limits counted in Redis, shared.
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.env.pop("ASSESSOR_DEMO", None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
        )
        if not self.wait_healthy(timeout):
            self.stop()
            raise RuntimeError("gunicorn did not become healthy")

    def health(self) -> int | None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/api/v1/health")
            status = conn.getresponse().status
            conn.close()
            return status
        except OSError:
            return None

    def wait_healthy(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.health() == 200:
                return True
            time.sleep(0.2)
        return False

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: children of the master this object started."""
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


class Connection:
    """One keep-alive HTTP connection per client thread, reopened after any failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        """(status, body); status 0 when the connection failed (reset, refused, timeout)."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=body, headers=headers or {})
            reply = self.conn.getresponse()
            return reply.status, reply.read()
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return 0, b""


@dataclass
class Run:
    """What the clients saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    accepted: dict[str, str] = field(default_factory=dict)
    attempted: set[str] = field(default_factory=set)
    conflicting_ids: int = 0
    unacknowledged: int = 0
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @classmethod
    def combined(cls, *runs: Run) -> Run:
        """Several runs of the same requests as one: their times and statuses together."""
        out = cls()
        for run in runs:
            out.latencies += run.latencies
            out.statuses += run.statuses
            out.elapsed += run.elapsed
        return out


def submission_body(world: World, rng: random.Random, sid: str) -> bytes:
    return json.dumps(
        {
            "submission_id": sid,
            "organisation": rng.choice(world.orgs),
            "audience": rng.choice(["staff", "patient_leader"]),
            "answers": {k: rng.choice(OPTIONS) for k in world.link_ids if rng.random() < 0.9},
        }
    ).encode()


def submit_all(
    server: Server,
    world: World,
    *,
    clients: int,
    submissions: int,
    resend_share: float = 0.1,
    seed: int = 1,
    max_attempts: int = 40,
    on_acknowledged: Callable[[int], None] | None = None,
) -> Run:
    """`clients` threads share `submissions` distinct submissions; a `resend_share` of them
    is sent twice (a client resending after a lost reply), some racing the original. A
    request that fails (no reply, 429 or 5xx) is retried with the same body, as a client
    would, up to `max_attempts` times."""
    run = Run()
    lock = threading.Lock()
    path = f"/api/v1/campaigns/{SLUG}/responses"
    headers = {"Authorization": f"Bearer {world.token}", "Content-Type": "application/json"}
    # Bodies and resend decisions are made before the clock starts: the clients share the
    # server's cores, and building bodies while timing would charge their work to it.
    plan = []
    for i in range(submissions):
        rng = random.Random(f"{seed}-{i}")
        sid = f"s{seed}-{i}"
        resend = rng.random() < resend_share
        plan.append((sid, submission_body(world, rng, sid), resend, resend and rng.random() < 0.25))
    counter = iter(plan)

    def send(conn: Connection, body: bytes, sid: str) -> None:
        for attempt in range(max_attempts):
            started = time.perf_counter()
            status, payload = conn.request("POST", path, body, headers)
            with lock:
                run.latencies.append(time.perf_counter() - started)
                run.statuses[status] += 1
            if status in (200, 201):
                rid = json.loads(payload)["id"]
                with lock:
                    if run.accepted.setdefault(sid, rid) != rid:
                        run.conflicting_ids += 1
                    acknowledged = len(run.accepted)
                if on_acknowledged is not None:
                    on_acknowledged(acknowledged)
                return
            if status not in (0, 429) and status < 500:
                return
            time.sleep(min(2.0, 0.05 * (attempt + 1)))
        with lock:
            run.unacknowledged += 1

    def client() -> None:
        conn = Connection(server.port)
        while True:
            with lock:
                planned = next(counter, None)
            if planned is None:
                return
            sid, body, resend, race = planned
            with lock:
                run.attempted.add(sid)
            if race:  # the resend races the original
                racer = threading.Thread(target=send, args=(Connection(server.port), body, sid))
                racer.start()
                send(conn, body, sid)
                racer.join()
                continue
            send(conn, body, sid)
            if resend:
                send(conn, body, sid)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.elapsed = time.perf_counter() - started
    return run


def get_all(server: Server, *, clients: int, requests: int, path: str = "/api/v1/health") -> Run:
    """`requests` GETs of `path` from `clients` threads."""
    run = Run()
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        conn = Connection(server.port)
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            started = time.perf_counter()
            status, _ = conn.request("GET", path)
            with lock:
                run.latencies.append(time.perf_counter() - started)
                run.statuses[status] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.elapsed = time.perf_counter() - started
    return run


def verify(url: str, run: Run) -> dict[str, int]:
    """What the database holds against what the clients were told."""
    from assessor import create_app, results
    from assessor.campaigns.service import get_campaign
    from assessor.extensions import db
    from assessor.models import RespondentScore, Response

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        campaign = get_campaign(SLUG)
        rows = db.session.execute(
            select(Response.submission_id, Response.id, Response.status).where(
                Response.campaign_id == campaign.id
            )
        ).all()
        stored = {sid: rid for sid, rid, _ in rows}
        duplicates = len(rows) - len(stored)
        not_submitted = sum(1 for _, _, status in rows if status != "submitted")
        unscored = db.session.scalar(
            select(func.count())
            .select_from(Response)
            .outerjoin(RespondentScore, RespondentScore.response_seq == Response.seq)
            .where(Response.campaign_id == campaign.id, RespondentScore.response_seq.is_(None))
        )

        def snapshot() -> dict:
            return results.cells.statistics(campaign)

        maintained = snapshot()
        results.rebuild(campaign)
        db.session.flush()
        rebuilt = snapshot()
        differing = sum(
            1
            for key, (n, total, sq) in rebuilt.items()
            if maintained.get(key, (None, 0, 0))[0] != n
            or abs(maintained[key][1] - total) > 1e-6
            or abs(maintained[key][2] - sq) > 1e-6
        )
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return {
        "rows_stored": len(rows),
        "distinct_acknowledged": len(run.accepted),
        "acknowledged_but_missing": sum(
            1 for sid, rid in run.accepted.items() if stored.get(sid) != rid
        ),
        "duplicated_submission_ids": duplicates,
        "stored_but_never_sent": sum(1 for sid in stored if sid not in run.attempted),
        "half_written": unscored + not_submitted,
        "cells_differing_from_rebuild": differing,
    }


def describe(name: str, run: Run) -> float:
    """Print a run's throughput and latency percentiles; returns requests per second."""
    lat = np.array(run.latencies) * 1000
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    throughput = run.requests / run.elapsed
    print(
        f"  {name:12} {run.requests:>7,} requests in {run.elapsed:6.1f} s = {throughput:6.0f}/s;"
        f" p50 {p50:5.0f} ms, p95 {p95:5.0f} ms, p99 {p99:5.0f} ms;"
        f" statuses {dict(sorted(run.statuses.items()))}"
    )
    return throughput


def print_checks(checks: dict[str, int]) -> None:
    for key, value in checks.items():
        print(f"  {key.replace('_', ' '):30} {value:>8,}")


def problems(checks: dict[str, int], run: Run) -> list[str]:
    """Every way the run broke a promise (empty: none)."""
    found = [
        f"{name}: {checks[name]}"
        for name in (
            "acknowledged_but_missing",
            "duplicated_submission_ids",
            "stored_but_never_sent",
            "half_written",
            "cells_differing_from_rebuild",
        )
        if checks[name]
    ]
    # Rows stored without an acknowledgement can only be submissions whose reply was lost
    # and whose every retry failed too; each of those is counted in `unacknowledged`.
    extra = checks["rows_stored"] - checks["distinct_acknowledged"]
    if extra < 0 or extra > run.unacknowledged:
        found.append(
            f"rows stored {checks['rows_stored']} != acknowledged"
            f" {checks['distinct_acknowledged']} (unacknowledged {run.unacknowledged})"
        )
    if run.conflicting_ids:
        found.append(f"one submission_id answered with two ids: {run.conflicting_ids}")
    return found
