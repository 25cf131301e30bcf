"""Serving refuses settings unfit for real respondents: no SECRET_KEY (or a short one)
outside demo mode, and, for gunicorn, no DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assessor.config import DEVELOPMENT_SECRET_KEY, Config, serving_problems
from tests.conftest import ROOT

GOOD_KEY = "k" * 48


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        ({"SECRET_KEY": DEVELOPMENT_SECRET_KEY}, True),
        ({"SECRET_KEY": "short"}, True),
        ({"SECRET_KEY": ""}, True),
        ({"SECRET_KEY": GOOD_KEY}, False),
        ({"SECRET_KEY": DEVELOPMENT_SECRET_KEY, "DEMO_MODE": True}, False),
    ],
)
def test_serving_problems(settings: dict, refused: bool) -> None:
    problems = serving_problems(settings)
    assert bool(problems) is refused
    if refused:
        assert "SECRET_KEY" in problems[0]


def test_config_reads_the_key_and_demo_mode_from_the_environment() -> None:
    assert Config({}).SECRET_KEY == DEVELOPMENT_SECRET_KEY and not Config({}).DEMO_MODE
    assert Config({"SECRET_KEY": GOOD_KEY, "ASSESSOR_DEMO": "1"}).DEMO_MODE
    assert serving_problems(Config({"SECRET_KEY": GOOD_KEY}).as_dict()) == []


def test_assessor_serve_refuses_a_test_key(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["serve", "--port", "1"])
    assert result.exit_code != 0
    assert "will not serve" in result.output and "SECRET_KEY" in result.output


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "ASSESSOR_DEMO", "DATABASE_URL")
    }
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def test_wsgi_refuses_to_load_without_a_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    refused = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=_clean_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "will not serve" in refused.stderr
    allowed = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=_clean_env(DATABASE_URL=url, SECRET_KEY=GOOD_KEY),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"DATABASE_URL": "sqlite:///unused.db"}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_KEY}, "DATABASE_URL"),
    ],
)
def test_gunicorn_refuses_to_start_before_any_worker(env: dict, missing: str) -> None:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    refused = subprocess.run(
        [gunicorn, "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=ROOT,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "will not serve" in refused.stderr and missing in refused.stderr
