"""Prometheus counters of what the service does, and `/metrics` when METRICS=1 (off by
default; with METRICS_TOKEN set it also needs that bearer token). Under gunicorn with
PROMETHEUS_MULTIPROC_DIR set, every worker process (and `assessor worker` on the same
host) writes there and `/metrics` adds them up (gunicorn.conf.py marks dead workers)."""

from __future__ import annotations

import functools
import hmac
import os
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, request
from prometheus_client import Counter

SUBMISSIONS = Counter("assessor_submissions", "Responses submitted", ["audience"])
MESSAGES = Counter(
    "assessor_messages", "Invitations and reminders handled", ["kind", "channel", "outcome"]
)
JOBS = Counter("assessor_jobs", "Jobs run", ["job", "outcome"])
# Known series start at 0, so that a rate can be taken from the first scrape.
for _audience in ("staff", "patient_leader"):
    SUBMISSIONS.labels(_audience)
for _kind in ("invitation", "reminder"):
    for _channel in ("email", "sms"):
        for _outcome in ("sent", "temporary", "permanent"):
            MESSAGES.labels(_kind, _channel, _outcome)


def _guarded(token: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token and not hmac.compare_digest(given.encode(), token.encode()):
                abort(401)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    if not app.config.get("METRICS"):
        return
    options: dict[str, Any] = {
        "path": "/metrics",
        # By route, never by path: paths hold invitation and resume tokens.
        "group_by": "url_rule",
        "metrics_decorator": _guarded(str(app.config.get("METRICS_TOKEN") or "")),
        "defaults_prefix": "assessor",
    }
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        GunicornInternalPrometheusMetrics(app, **options)
    else:
        from prometheus_flask_exporter import PrometheusMetrics

        PrometheusMetrics(app, **options)
