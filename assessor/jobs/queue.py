"""The job queue: RQ on Redis when REDIS_URL is set, else each job runs inline, in the
command or request that enqueued it (the demo, a pilot on one machine). Jobs are named by
their dotted path, so that enqueuing a job never imports what the job imports."""

from __future__ import annotations

import importlib
from typing import Any

from flask import current_app

#: Jobs may run for a long batch; a worker killed meanwhile leaves its claims to expire.
JOB_TIMEOUT = 6 * 3600


def redis_from_url(url: str) -> Any:
    """A Redis connection (the queue's, and Notify's shared pace)."""
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)


def connection() -> Any | None:
    """A Redis connection for the queue, or None when there is no Redis."""
    url = current_app.config.get("REDIS_URL")
    return redis_from_url(url) if url else None


def queue_name() -> str:
    return str(current_app.config.get("QUEUE_NAME") or "assessor")


def get_queue() -> Any | None:
    redis = connection()
    if redis is None:
        return None
    from rq import Queue

    return Queue(queue_name(), connection=redis)


def run(path: str, *args: Any) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(*args)


def enqueue(path: str, *args: Any) -> tuple[str, Any]:
    """Enqueue the job `path` (a dotted function name) with `args`: ("queued", job id) on
    Redis, else ("inline", what the job returned) after running it here."""
    queue = get_queue()
    if queue is None:
        return "inline", run(path, *args)
    job = queue.enqueue(path, *args, job_timeout=JOB_TIMEOUT, result_ttl=86400)
    return "queued", job.id
