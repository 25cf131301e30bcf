"""Keeping requests under a rate limit: one slot every `interval` seconds, each request
waiting for the slot it reserved.

With Redis (REDIS_URL) every worker on every host reserves its slots from one key, through
a script that Redis runs atomically and that reads the Redis server's own clock: N workers
together keep the pace one would, whatever their own clocks say. Without Redis (the demo,
jobs run inline) the pace is kept in the process, which is then the only sender. Should
Redis stop answering, a worker keeps the pace on its own until it answers again (a rate
limit's 429 is then the back-stop) rather than stop sending.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import structlog

log = structlog.get_logger("assessor")

#: KEYS[1] holds the next free slot, in microseconds on the Redis server's clock; ARGV[1]
#: is the interval in microseconds. The slot reserved is the later of now and that next
#: free slot; the key then holds the slot after it, and expires a second after that slot
#: has passed (a stale key would do no harm: the later of now and it is now). Returns the
#: slot and the microseconds to wait for it. Numbers are stored with %.0f: Lua would write
#: a 16-digit number with 14 significant digits.
RESERVE = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local ttl = math.ceil((slot + interval - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval), 'PX', ttl)
return {slot, slot - now}
"""


class Pace:
    """Slots `interval` seconds apart, shared through `redis` under `key` when given one."""

    def __init__(self, interval: float, redis: Any | None = None, key: str = "") -> None:
        if redis is not None and not key:
            raise ValueError("a shared pace needs a key")
        self.interval = interval
        self.redis = redis
        self.key = key
        self._script = redis.register_script(RESERVE) if redis is not None else None
        self._next = 0.0
        self._lock = threading.Lock()

    def _reserve_here(self) -> tuple[int, float]:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        return math.floor(slot * 1_000_000), slot - now

    def reserve(self) -> tuple[int, float]:
        """(the slot reserved, in microseconds on the pace's clock; seconds to wait for it)."""
        if self._script is None:
            return self._reserve_here()
        from redis.exceptions import RedisError

        try:
            slot, wait = self._script(keys=[self.key], args=[round(self.interval * 1_000_000)])
        except RedisError as exc:
            log.warning("pace.redis_unavailable", key=self.key, error=str(exc)[:200])
            return self._reserve_here()
        return int(slot), int(wait) / 1_000_000

    def wait(self) -> None:
        """Wait for the next slot reserved."""
        _, wait = self.reserve()
        if wait > 0:
            time.sleep(wait)
