"""JSON logs (structlog), one line per request with its request id: the X-Request-ID a
proxy sent (when it looks like one), else a new one, echoed in the response. A line names
the route, never the path (paths hold invitation and resume tokens), and no client
address: the privacy notice promises none is kept."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

import structlog
from flask import Flask, Response, g, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_configured = False


def configure() -> None:
    """JSON lines on standard error, for the app and `assessor worker` alike."""
    global _configured
    if _configured:
        return
    _configured = True
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        # Standard error as it is at each line (a test, or a daemon, may replace it).
        logger_factory=lambda *args: structlog.WriteLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )


log = structlog.get_logger("assessor")


def _begin() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _end(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:
        return response
    response.headers["X-Request-ID"] = request_id
    log.info(
        "request",
        method=request.method,
        route=request.url_rule.rule if request.url_rule else None,
        status=response.status_code,
        ms=round((time.perf_counter() - g.request_started) * 1000, 1),
    )
    structlog.contextvars.clear_contextvars()
    return response


def init_app(app: Flask) -> None:
    configure()
    app.before_request(_begin)
    app.after_request(_end)
