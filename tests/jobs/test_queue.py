"""The job queue on the real Redis: commands enqueue, `assessor worker` (a separate process,
as in production) runs the jobs; and a worker killed (SIGKILL) in the middle of a
5,000-message batch loses nothing and sends nothing twice once the work is retried."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis
from sqlalchemy import func, select

from assessor.models import Message
from tests.support.factories import add_orgs, make_campaign
from tests.support.redis import needs_redis

REDIS = "redis://127.0.0.1:6379/14"


pytestmark = [
    needs_redis,
    pytest.mark.real_commits,
]


@pytest.fixture()
def queue_settings(app, monkeypatch, smtp_server) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """The app on Redis with a queue of its own (parallel test workers share Redis)."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS)
    monkeypatch.setitem(app.config, "QUEUE_NAME", name)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "REDIS_URL": REDIS,
        "QUEUE_NAME": name,
        "SMTP_URL": smtp_server.url,
        "CLAIM_SECONDS": "2",
        "QUESTIONNAIRES_DIR": app.config["QUESTIONNAIRES_DIR"],
    }
    env.pop("NOTIFY_API_KEY", None)
    yield env
    redis = Redis.from_url(REDIS)
    for key in redis.scan_iter(f"rq:*{name}*"):
        redis.delete(key)


def _worker(env: dict[str, str], burst: bool = True) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-c", "from assessor.cli import main; main()", "worker"]
    return subprocess.Popen(
        args + (["--burst"] if burst else []),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _contacts(runner, db, tmp_path, count: int) -> None:  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"))
    make_campaign("c", access="invitation")
    db.session.commit()
    rows = "".join(f"A01,staff,p{i:05}@example.nhs.uk,\n" for i in range(count))
    path = tmp_path / "people.csv"
    path.write_text("org_code,audience,email,mobile\n" + rows)
    out = runner.invoke(args=["contacts", "import", "c", str(path)])
    assert out.exit_code == 0, out.output


def test_commands_enqueue_and_the_worker_sends(runner, db, tmp_path, queue_settings, smtp_server):
    _contacts(runner, db, tmp_path, 20)
    out = runner.invoke(args=["campaigns", "send-invitations", "c"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[-1].startswith("queued job ")
    assert smtp_server.received == []  # nothing sent by the command itself
    worker = _worker(queue_settings)
    assert worker.wait(timeout=120) == 0, worker.stderr.read()  # type: ignore[union-attr]
    assert len(smtp_server.received) == 20
    due = runner.invoke(args=["jobs", "run-due", "--all"])
    assert due.output == "5 job(s) queued\n"
    worker = _worker(queue_settings)
    assert worker.wait(timeout=120) == 0, worker.stderr.read()  # type: ignore[union-attr]
    assert len(smtp_server.received) == 20


@pytest.mark.parametrize(
    "step",
    [
        # Claimed, and for part of the batch the envelope sent: all must go again.
        "rcpt",
        # Marked sent and the final dot written: the server delivers it; none go again.
        "data",
    ],
)
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    runner, db, tmp_path, queue_settings, smtp_server, step
) -> None:
    count = 5000
    _contacts(runner, db, tmp_path, count)
    # The server stalls on one recipient in the middle of a batch, a third of the way in.
    smtp_server.handler.hold = (step, "p01675@example.nhs.uk")
    assert runner.invoke(args=["campaigns", "send-invitations", "c"]).exit_code == 0
    worker = _worker(queue_settings, burst=False)
    assert smtp_server.handler.held.wait(timeout=120)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    smtp_server.handler.release.set()
    db.session.rollback()
    at_kill = dict(
        db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
    )
    assert 0 < at_kill.get("pending", 0) < count, at_kill
    if step == "rcpt":
        assert at_kill.get("claimed", 0) > 0, at_kill
    time.sleep(2.5)  # CLAIM_SECONDS: the dead worker's claims are taken again
    assert runner.invoke(args=["jobs", "run-due"]).exit_code == 0
    worker = _worker(queue_settings)
    assert worker.wait(timeout=300) == 0, worker.stderr.read()  # type: ignore[union-attr]
    time.sleep(0.5)  # the held message, if it was delivered, reaches the list
    per_person = collections.Counter(r.to[0] for r in smtp_server.received)
    assert len(per_person) == count, f"{count - len(per_person)} lost; at the kill: {at_kill}"
    assert max(per_person.values()) == 1, [a for a, n in per_person.items() if n > 1][:5]
    db.session.rollback()
    statuses = dict(
        db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
    )
    assert statuses == {"sent": count}
