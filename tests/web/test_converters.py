"""Big integers in paths and query strings answer 404 or fall back, never 500: PostgreSQL's
`integer` is 32-bit, so an id above 2^31 must never reach a query (run on PostgreSQL too)."""

from __future__ import annotations

import pytest

from assessor.web.converters import INT_MAX, bounded_int
from tests.support.published_data import build_two_campaigns

BIG = [2**31, 2**63, 99999999999999999999]


@pytest.mark.parametrize("big", BIG)
def test_an_int_path_beyond_a_32_bit_column_is_not_found(client, db, big: int) -> None:
    assert client.get(f"/dashboards/spring/A01/actions/{big}").status_code == 404
    assert client.get(f"/r/some-token/{big}").status_code == 404
    assert client.get(f"/api/v1/questionnaires/q/{big}").status_code == 404


def test_int_max_itself_still_matches_the_route(client, db) -> None:
    # The bound is the column's: the largest id reaches the view (which finds nothing).
    response = client.get(f"/dashboards/spring/A01/actions/{INT_MAX}")
    assert response.status_code != 500


@pytest.mark.parametrize("raw", ["99999999999999999999", str(2**31), "-5", "0", "x"])
def test_a_big_or_bad_page_number_shows_the_first_page(client, db, raw: str) -> None:
    build_two_campaigns(db)
    response = client.get(f"/results/spring?page={raw}")
    assert response.status_code == 200
    assert "All 3 organisations" in response.get_data(as_text=True)


def test_bounded_int() -> None:
    assert bounded_int(None, 1) == 1 and bounded_int("7", 1) == 7
    assert bounded_int(str(INT_MAX + 1), 1) == 1 and bounded_int("0", 1) == 1
    assert bounded_int("nope", 3) == 3
