"""The real Redis the tests use (127.0.0.1:6379): tests that need it are skipped, with the
reason said, where it is not running."""

from __future__ import annotations

import socket

import pytest


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.3):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not redis_reachable(), reason="no Redis at 127.0.0.1:6379")
