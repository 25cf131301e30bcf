"""`/health/live` (the process answers) and `/health/ready` (the database, Redis and the
job queue answer; 503 otherwise), for a load balancer or an orchestrator. Open, and they
say nothing but which part is down."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from assessor.extensions import db

bp = Blueprint("probes", __name__)


@bp.get("/health/live")
def live() -> ResponseReturnValue:
    return jsonify(status="ok")


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError:
        db.session.rollback()
        return "unreachable"


def _redis_and_queue() -> tuple[str, dict[str, Any] | str]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not used", "inline"
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    try:
        redis = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        redis.ping()
    except RedisError:
        return "unreachable", "unreachable"
    try:
        queue = Queue(current_app.config.get("QUEUE_NAME") or "assessor", connection=redis)
        return "ok", {"waiting": queue.count}
    except RedisError:
        return "ok", "unreachable"


@bp.get("/health/ready")
def ready() -> ResponseReturnValue:
    database = _database()
    redis, queue = _redis_and_queue()
    ok = database == "ok" and redis != "unreachable" and queue != "unreachable"
    body = {"status": "ok" if ok else "unavailable", "database": database}
    body.update(redis=redis, queue=queue)
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    if not ok:
        response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response
