"""`assessor serve` (what `make demo` runs) serves through gunicorn: no development-server
warning, the "where to go" lines printed, and pages answered by its workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from tests.conftest import ROOT  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_gunicorn_and_says_where_to_go(tmp_path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": "test",
        "ASSESSOR_DEMO": "1",
    }
    cli = [sys.executable, "-c", "from assessor.cli import main; main()"]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True, timeout=120)
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    body = page.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert "assessor" in body
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert f"assessor is serving on http://127.0.0.1:{port}/" in out
    assert "/api/docs" in out and "/login" in out
    assert "gunicorn" in err.lower()
    assert "development server" not in (out + err).lower()
