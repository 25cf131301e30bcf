"""Notify's pace shared through the real Redis: two transports (as two workers would) keep
one pace between them, reserving slots that never collide, timed by the Redis server's
clock; without Redis, or with a Redis that does not answer, each keeps the pace alone."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis

from assessor.jobs.pacing import Pace
from assessor.jobs.transports import NotifyTransport, Outgoing, transport_from
from tests.support.notify import API_KEY, SERVICE_ID, TEMPLATES
from tests.support.redis import needs_redis

REDIS = "redis://127.0.0.1:6379/14"
#: 3,000 a minute: a slot every 20 ms.
PER_MINUTE = 3000
INTERVAL = 60 / PER_MINUTE


@pytest.fixture()
def pace_key() -> Iterator[str]:
    """A key of the test's own (parallel test workers share Redis), removed afterwards."""
    key = f"test-pace-{uuid.uuid4().hex[:10]}"
    yield key
    Redis.from_url(REDIS).delete(key)


def _items(first: int, count: int) -> list[Outgoing]:
    return [
        Outgoing(i, f"k{i}", "invitation", "email", f"p{i}@example.org", "s", "b", "http://o")
        for i in range(first, first + count)
    ]


def _recording(pace: Pace, slots: list[int], lock: threading.Lock) -> None:
    reserve = pace.reserve

    def recorded() -> tuple[int, float]:
        slot, wait = reserve()
        with lock:
            slots.append(slot)
        return slot, wait

    pace.reserve = recorded  # type: ignore[method-assign]


@needs_redis
def test_two_workers_share_one_pace_through_redis(notify_server, app, pace_key) -> None:
    transports = [
        NotifyTransport(
            API_KEY,
            TEMPLATES,
            base_url=app.config["NOTIFY_URL"],
            per_minute=PER_MINUTE,
            redis=Redis.from_url(REDIS),
            pace_key=pace_key,
        )
        for _ in range(2)
    ]
    slots: list[int] = []
    lock = threading.Lock()
    for transport in transports:
        _recording(transport.pace, slots, lock)
    sent: list[int] = []
    threads = [
        threading.Thread(target=t.send, args=(_items(25 * n, 25), sent.extend))
        for n, t in enumerate(transports)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    took = time.monotonic() - started
    assert sorted(sent) == list(range(50))
    assert len(notify_server.accepted) == 50
    # Fifty slots, each at least one interval after the one before, on Redis's clock
    # (microseconds): twenty-five each alone would have taken half as long.
    assert len(slots) == 50 and len(set(slots)) == 50
    ordered = sorted(slots)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    assert min(gaps) >= INTERVAL * 1_000_000, min(gaps)
    assert took >= 49 * INTERVAL, took
    # The key expires a second after its last slot (-2: gone already; -1 would be never).
    assert -2 <= Redis.from_url(REDIS).pttl(pace_key) <= 1000 + 2 * INTERVAL * 1000
    assert Redis.from_url(REDIS).pttl(pace_key) != -1


@needs_redis
def test_the_app_shares_the_pace_when_redis_is_set(notify_server, app, monkeypatch) -> None:
    assert transport_from(app.config).pace.redis is None  # type: ignore[attr-defined]
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS)
    pace = transport_from(app.config).pace  # type: ignore[attr-defined]
    assert pace.redis is not None
    # Per Notify service: every worker sending for it, on any host, uses this key.
    assert pace.key == f"assessor:notify-pace:{SERVICE_ID}"


def test_without_redis_the_process_keeps_the_pace() -> None:
    pace = Pace(INTERVAL)
    slots: list[int] = []
    _recording(pace, slots, threading.Lock())
    started = time.monotonic()
    for _ in range(11):
        pace.wait()
    assert time.monotonic() - started >= 10 * INTERVAL
    # Microseconds on the monotonic clock, rounded down: one apart at most from exact.
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= INTERVAL * 1_000_000 - 1


def test_a_redis_that_does_not_answer_leaves_each_worker_its_own_pace() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redis = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.2)
    pace = Pace(INTERVAL, redis, "nowhere")
    started = time.monotonic()
    for _ in range(6):
        pace.wait()
    assert time.monotonic() - started >= 5 * INTERVAL
