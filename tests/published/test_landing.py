"""The landing page that `make demo` sends people to."""

from __future__ import annotations

from tests.support.factories import add_orgs, make_campaign


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


def test_methodology_and_privacy_pages(client, db) -> None:
    from tests.support.factories import publish_shipped

    publish_shipped()
    db.session.commit()
    page = client.get("/methodology").get_data(as_text=True)
    for words in (
        "Co-assessment",
        "Co-commissioning",
        "equal weight",
        "fewer than 5 people",
        "75%",
        '"Don\'t know"',
    ):
        assert words in page, words
    privacy = client.get("/privacy").get_data(as_text=True)
    assert "IP address" in privacy and "at least 5 people" in privacy
    assert "never linked to your answers" in privacy and "at the latest\n  30 days" in privacy
    home = client.get("/").get_data(as_text=True)
    assert 'href="/methodology"' in home and 'href="/privacy"' in home
