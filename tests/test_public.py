"""The landing page that `make demo` sends people to."""

from __future__ import annotations

from tests.factories import add_orgs, make_campaign


def test_landing_page_lists_campaigns(client, db) -> None:
    empty = client.get("/")
    assert empty.status_code == 200
    assert "No campaigns yet" in empty.get_data(as_text=True)
    add_orgs(("A01", "London", "Urban"))
    make_campaign("spring-2026", state="open")
    db.session.commit()
    page = client.get("/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "spring-2026" in body and "open" in body
    assert 'lang="en-GB"' in body and 'href="#main"' in body
