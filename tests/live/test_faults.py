"""Faults in the middle of a load run, against gunicorn as `make serve` runs it: a worker
killed with SIGKILL, and PostgreSQL stopped as by a crash and started again. Every response
acknowledged with 200 or 201 must be stored, nothing may be half-written, and the service
must recover by itself (health back to ok, without restarting gunicorn).

These need PostgreSQL (TEST_DATABASE_URL) and run in CI's PostgreSQL pass; the restart test
runs its own throw-away PostgreSQL server, so other users of the shared one are untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.live import Server, free_port, prepare, problems, scratch_database, submit_all
from benchmarks.live import verify as verify_run

BASE = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not BASE.startswith("postgresql"),
    reason="fault tests need PostgreSQL: set TEST_DATABASE_URL (CI's PostgreSQL pass does)",
)
SUBMISSIONS = 240
CLIENTS = 8


def _fault_once(after: int, fault) -> tuple[list[object], object]:  # type: ignore[no-untyped-def]
    """A callback for submit_all that runs `fault` (in its own thread) once `after`
    submissions have been acknowledged; the list records what it returned."""
    done: list[object] = []
    lock = threading.Lock()

    def on_acknowledged(count: int) -> None:
        with lock:
            if done or count < after:
                return
            done.append(None)
        threading.Thread(target=lambda: done.__setitem__(0, fault())).start()

    return done, on_acknowledged


def _check(url: str, run, server: Server) -> None:  # type: ignore[no-untyped-def]
    checks = verify_run(url, run)
    assert problems(checks, run) == [], checks
    assert checks["distinct_acknowledged"] == SUBMISSIONS, (checks, run.statuses)


def test_a_worker_killed_with_sigkill_mid_run_loses_nothing() -> None:
    with scratch_database(BASE) as url:
        world = prepare(url, n_orgs=10)
        server = Server(url, workers=3, threads=2)
        server.start()
        try:
            before = server.worker_pids()

            killed: list[int] = []
            lock = threading.Lock()

            def on_ack(count: int) -> None:
                # Three kills, at a quarter, half and three quarters of the run, each of a
                # worker not killed before (maybe the replacement of one that was).
                with lock:
                    if len(killed) >= 3 or count < SUBMISSIONS * (len(killed) + 1) // 4:
                        return
                    victim = next(p for p in server.worker_pids() if p not in killed)
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)

            run = submit_all(
                server, world, clients=CLIENTS, submissions=SUBMISSIONS, on_acknowledged=on_ack
            )
            assert len(set(killed)) == 3 and killed[0] in before
            assert server.wait_healthy(30), "health did not come back"
            after = server.worker_pids()
            assert not set(killed) & set(after) and len(after) == 3  # gunicorn replaced them
            assert server.process is not None and server.process.poll() is None
        finally:
            server.stop()
        _check(url, run, server)


# --------------------------------------------------------------------------- PostgreSQL


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class PrivatePostgres:
    """A PostgreSQL server of our own on a free port, run as the postgres user."""

    def __init__(self, root: Path) -> None:
        self.bin = _pg_bin()
        self.data = root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def init(self) -> None:
        self.data.parent.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.data.parent, "postgres", "postgres")
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        log = str(self.data.parent / "server.log")
        self._pg("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def crash(self) -> None:
        """Stop at once, without a shutdown checkpoint, as a crash would."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@pytest.fixture()
def private_postgres() -> Iterator[PrivatePostgres]:
    if _pg_bin() is None or shutil.which("runuser") is None or os.geteuid() != 0:
        pytest.skip("restarting PostgreSQL needs its binaries, runuser and root")
    # Directly under /tmp: the postgres user cannot enter pytest's root-only directories.
    server = PrivatePostgres(Path(tempfile.mkdtemp(prefix="assessor-pg-")))
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.crash()
        shutil.rmtree(server.data.parent, ignore_errors=True)


def test_postgres_restarted_mid_run_loses_nothing(private_postgres: PrivatePostgres) -> None:
    with scratch_database(private_postgres.url) as url:
        world = prepare(url, n_orgs=10)
        server = Server(url, workers=3, threads=2)
        server.start()
        try:
            seen_down: list[int | None] = []

            def restart() -> bool:
                private_postgres.crash()
                seen_down.append(server.health())
                time.sleep(1.0)
                private_postgres.start()
                return True

            restarted, on_ack = _fault_once(SUBMISSIONS // 3, restart)
            run = submit_all(
                server, world, clients=CLIENTS, submissions=SUBMISSIONS, on_acknowledged=on_ack
            )
            assert restarted == [True]
            assert seen_down == [503]  # health said so while the database was down
            assert server.wait_healthy(30), "health did not come back"
            assert server.process is not None and server.process.poll() is None
        finally:
            server.stop()
        _check(url, run, server)
