"""The API tests' small world, and a fresh set of request limits for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assessor.web.limits import limiter
from tests.fixtures.api import _fresh_results_cache, api, make_token, world  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_limits(app: object) -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()
