"""Sign-in throttling holds across processes: two gunicorn servers sharing one Redis (as
workers on several hosts do) count failed sign-ins for an account together."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.live import SECRET_KEY, Server
from tests.support.redis import needs_redis

REDIS = "redis://127.0.0.1:6379/0"


pytestmark = needs_redis


def _database(path: Path) -> str:
    from assessor import create_app
    from assessor.auth.passwords import create_user
    from assessor.cli.core import upgrade_database
    from assessor.extensions import db

    url = f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        upgrade_database()
        create_user("board@example.nhs.uk", "viewer", "a long enough password")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def _attempt(opener: urllib.request.OpenerDirector, base: str, password: str) -> int:
    page = opener.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"email": "board@example.nhs.uk", "password": password, "csrf_token": token}
    try:
        data = urllib.parse.urlencode(form).encode()
        return opener.open(f"{base}/login", data=data, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_failed_sign_ins_are_counted_across_servers(tmp_path: Path) -> None:
    url = _database(tmp_path / "shared.db")
    servers = [Server(url, workers=1, threads=2, REDIS_URL=REDIS) for _ in range(2)]
    for server in servers:
        server.start()
    try:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        statuses = [_attempt(opener, servers[i % 2].base, f"wrong {i}") for i in range(12)]
        right = _attempt(opener, servers[0].base, "a long enough password")
    finally:
        for server in servers:
            server.stop()
    assert statuses == [400] * 10 + [429, 429]  # ten failures in all, five on each server
    assert right == 429
