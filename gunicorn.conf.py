"""gunicorn settings for `make serve`; each can be overridden from the environment.

Several worker processes, each with a few threads, against PostgreSQL (DATABASE_URL).
Nothing is shared in process memory: request limits live in Redis (REDIS_URL), sessions
in signed cookies, results in the database. The app is not preloaded, so each worker opens
its own database connections after the fork.
"""

import os

from assessor.config import Config, serving_problems

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
# A submission spends most of its time waiting on PostgreSQL (row locks, the commit's WAL
# flush): with 4 threads a worker left the 2 cores half idle under load, 8 keep them busy.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so a slow leak can never take a worker down.
max_requests = 20000
max_requests_jitter = 2000
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
raw_env = ["OPENBLAS_NUM_THREADS=1"]


def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse to start, before any worker, with settings unfit for real respondents."""
    problems = serving_problems(Config().as_dict())
    if not os.environ.get("DATABASE_URL") and not Config().DEMO_MODE:
        problems.append("DATABASE_URL must name the PostgreSQL database")
    if problems:
        raise SystemExit("assessor will not serve: " + "; ".join(problems))


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """With METRICS=1 and PROMETHEUS_MULTIPROC_DIR, forget a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)
