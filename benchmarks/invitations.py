"""Sending invitations through the worker to a local SMTP server, beside a bare smtplib
loop to the same server in the same run (target: the worker at least half the bare loop's
messages per second), counting what the server received: 0 duplicates and 0 lost.

    .venv/bin/python benchmarks/invitations.py [--count 100000] [--workers 1]
        [--database-url URL]   (default: a fresh SQLite file; or PostgreSQL, e.g.
                                postgresql+psycopg://postgres@127.0.0.1:5432/postgres,
                                where a scratch database is made and dropped)

The SMTP server (aiosmtpd) runs in a process of its own, so the bare loop and the worker
each compete with it alike; Redis must be at REDIS_URL (default redis://127.0.0.1:6379/15).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

SERVER = r"""
import asyncio, collections, json, signal, sys, threading
from aiosmtpd.controller import Controller
counts = collections.Counter()
class Handler:
    async def handle_DATA(self, server, session, envelope):
        for to in envelope.rcpt_tos:
            counts[to] += 1
        return "250 OK"
controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: done.set())
print("ready", flush=True)
done.wait()
controller.stop()
json.dump(counts, open(sys.argv[2], "w"))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, out: Path) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(out)], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    return server


def stop_server(server: subprocess.Popen[str], out: Path) -> collections.Counter[str]:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    return collections.Counter(json.loads(out.read_text()))


def bare_loop(port: int, count: int) -> float:
    """Messages per second from one smtplib connection, a message of the same size."""
    from assessor.campaigns.messages import email_text

    link = "http://127.0.0.1:5000/i/" + "x" * 32
    text = email_text("invitation", "NHS X01", "staff", None, link, link.replace("/i/", "/o/"))
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "assessor <noreply@assessor.nhs.example>", text.subject
    msg.set_content(text.body)
    data = msg.as_bytes()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for i in range(count):
            conn.sendmail("noreply@assessor.nhs.example", [f"bare{i}@example.org"], data)
    return count / (time.perf_counter() - started)


def prepare(database_url: str, count: int) -> None:
    from assessor import create_app
    from assessor.campaigns.contacts import import_contacts
    from assessor.cli.core import upgrade_database
    from assessor.extensions import db
    from assessor.models import Organisation
    from assessor.questionnaires.publishing import publish_directory

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        upgrade_database()
        publish_directory(ROOT / "questionnaires")
        codes = [f"X{i:02}" for i in range(20)]
        db.session.add_all(
            Organisation(code=c, name=f"NHS {c}", kind="icb", region="London", peer_group="p")
            for c in codes
        )
        db.session.flush()
        from datetime import timedelta

        from assessor.campaigns.service import create_campaign
        from assessor.models import utcnow

        campaign = create_campaign(
            "bench",
            "Benchmark",
            "engagement-maturity",
            2,
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=20),
        )
        rows = "".join(
            f"{codes[i % 20]},staff,person{i:06}@example.nhs.uk,\n" for i in range(count)
        )
        started = time.perf_counter()
        import_contacts(campaign, "org_code,audience,email,mobile\n" + rows)
        db.session.commit()
        print(f"import of {count:,} contacts: {time.perf_counter() - started:.1f} s")


def through_worker(env: dict[str, str], workers: int) -> tuple[float, float]:
    """(seconds to queue the invitations, seconds for the worker to send them)."""
    cli = [sys.executable, "-c", "from assessor.cli import main; main()"]
    started = time.perf_counter()
    out = subprocess.run(
        [*cli, "campaigns", "send-invitations", "bench"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    queued = time.perf_counter() - started
    started = time.perf_counter()
    # Several workers share the work through their claims; each stops when the queue is
    # empty, so every worker after the first is given a job of its own to claim with.
    procs = [subprocess.Popen([*cli, "worker", "--burst"], env=env) for _ in range(1)]
    for _ in range(workers - 1):
        subprocess.run([*cli, "jobs", "run-due"], env=env, capture_output=True, check=True)
        procs.append(subprocess.Popen([*cli, "worker", "--burst"], env=env))
    for proc in procs:
        assert proc.wait() == 0
    return queued, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="invitations-"))
    scratch = None
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    if url.startswith("postgresql"):
        scratch = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        url = url.rsplit("/", 1)[0] + "/" + scratch
    try:
        prepare(url, args.count)
        port = free_port()
        server = start_server(port, tmp / "bare.json")
        try:
            bare = bare_loop(port, args.count)
        finally:
            stop_server(server, tmp / "bare.json")
        server = start_server(port, tmp / "worker.json")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "benchmark",
            "SMTP_URL": f"smtp://127.0.0.1:{port}",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
            "QUEUE_NAME": f"bench-{uuid.uuid4().hex[:8]}",
            "NOTIFY_API_KEY": "",
        }
        try:
            queued, sending = through_worker(env, args.workers)
        finally:
            counts = stop_server(server, tmp / "worker.json")
    finally:
        if scratch:
            admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    worker = args.count / sending
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = args.count - len(counts)
    print(f"database: {url.split(':')[0]}, {args.count:,} invitations, {args.workers} worker(s)")
    print(f"bare smtplib loop:     {bare:8.0f} messages/s")
    print(
        f"through the worker:    {worker:8.0f} messages/s  ({worker / bare:.2f} of the bare loop)"
    )
    print(f"queueing invitations:  {queued:8.1f} s (contacts -> invitations and message rows)")
    print(f"duplicates: {duplicates}, lost: {lost}")


if __name__ == "__main__":
    main()
