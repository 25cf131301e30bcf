"""How many surveys one client address may start through a campaign's open links in an hour.

Open links can be shared and pasted anywhere, so without a limit one person could fill a
campaign with made-up responses. The count is keyed on sha256(address, campaign, hour) and
held only in Redis (when REDIS_URL is set, so that every worker on every host shares it) or
in this process's memory (a pilot with one process): never in the database, and never the
address itself. Invitation links are not limited: each can complete only once anyway.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Protocol

from flask import Flask, current_app

DEFAULT_STARTS_PER_HOUR = 30
WINDOW_SECONDS = 3600
EXTENSION_KEY = "assessor.survey.ratelimit"
REDIS_PREFIX = "assessor:survey-starts:"

log = logging.getLogger(__name__)


class Backend(Protocol):
    def hit(self, key: str, ttl: int) -> int:
        """Count one more start under `key` (kept for at least `ttl` seconds); return the
        count including this one."""
        ...


class MemoryBackend:
    """Counts in this process only. Keys carry their hour, so a bucket that has moved on to
    a new hour drops every older key and memory stays bounded."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._hour: int | None = None
        self._lock = threading.Lock()

    def hit(self, key: str, ttl: int) -> int:
        hour = int(time.time()) // WINDOW_SECONDS
        with self._lock:
            if hour != self._hour:
                self._counts.clear()
                self._hour = hour
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


class RedisBackend:
    """INCR and EXPIRE in one transaction, so a key never outlives its window."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def hit(self, key: str, ttl: int) -> int:
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(REDIS_PREFIX + key)
        pipe.expire(REDIS_PREFIX + key, ttl)
        count, _ = pipe.execute()
        return int(count)


def bucket_key(address: str, campaign_slug: str, hour: int) -> str:
    raw = f"{address}\x00{campaign_slug}\x00{hour}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def backend_for(app: Flask) -> Backend:
    """One backend per app: Redis when REDIS_URL is set, otherwise process memory."""
    backend = app.extensions.get(EXTENSION_KEY)
    if backend is None:
        url = app.config.get("REDIS_URL") or ""
        backend = RedisBackend(url) if url else MemoryBackend()
        app.extensions[EXTENSION_KEY] = backend
    return backend


def use_backend(app: Flask, backend: Backend) -> None:
    """Replace the app's backend (tests start each from an empty one)."""
    app.extensions[EXTENSION_KEY] = backend


def allow_start(address: str | None, campaign_slug: str, backend: Backend | None = None) -> bool:
    """Count a start from `address` and say whether it is within the hourly limit.

    If Redis cannot be reached the start is allowed and a warning logged: respondents should
    not be turned away because a guard against ballot stuffing is down.
    """
    backend = backend or backend_for(current_app._get_current_object())  # type: ignore[attr-defined]
    limit = int(current_app.config.get("SURVEY_STARTS_PER_HOUR", DEFAULT_STARTS_PER_HOUR))
    hour = int(time.time()) // WINDOW_SECONDS
    key = bucket_key(address or "unknown", campaign_slug, hour)
    try:
        count = backend.hit(key, WINDOW_SECONDS)
    except Exception:  # redis.RedisError and connection errors alike
        log.warning("survey rate limit unavailable; start allowed", exc_info=True)
        return True
    return count <= limit
