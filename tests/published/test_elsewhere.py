"""Issue 21, elsewhere: errors in the site's frame, the API reference in the site's frame
saying whom to ask for a token, and a privacy notice with controller, contact, lawful basis,
retention and rights (settings; the demo's values marked as examples)."""

from __future__ import annotations

import pytest


def test_unknown_paths_and_wrong_methods_get_the_sites_pages(client, db) -> None:
    for path in ("/nothing/here", "/static/missing.css", "/results"):
        resp = client.get(path)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 404 and 'class="site-header"' in body, path
        assert "Page not found" in body
    resp = client.post("/")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 405 and 'class="site-header"' in body
    assert "Allow" in resp.headers and "Method Not Allowed" not in body


def test_api_reference_is_in_the_sites_frame_and_says_whom_to_ask(client, app, db) -> None:
    body = client.get("/api/docs").get_data(as_text=True)
    assert 'class="site-header"' in body and 'class="site-footer"' in body
    assert "assessor tokens create" not in body  # no server command for analysts
    assert "(example: set API_TOKEN_CONTACT)" in body
    app.config["API_TOKEN_CONTACT"] = "the data team, data@trust.nhs.uk"
    body = client.get("/api/docs").get_data(as_text=True)
    assert "ask the data team, data@trust.nhs.uk" in body and "example: set" not in body


@pytest.mark.parametrize(
    "name, words",
    [
        ("PRIVACY_CONTROLLER", "The data controller is"),
        ("PRIVACY_CONTACT", "use any of your rights, contact"),
        ("PRIVACY_LAWFUL_BASIS", "Lawful basis:"),
        ("PRIVACY_RETENTION", "How long we keep it"),
    ],
)
def test_privacy_notice_names_controller_contact_basis_and_retention(
    client, app, db, name, words
) -> None:
    body = client.get("/privacy").get_data(as_text=True)
    assert words in body and f"(example: set {name})" in body
    app.config[name] = "Set for this service"
    body = client.get("/privacy").get_data(as_text=True)
    assert "Set for this service" in body and f"(example: set {name})" not in body


def test_privacy_notice_lists_the_rights(client, db) -> None:
    body = client.get("/privacy").get_data(as_text=True)
    assert "<h2>Your rights</h2>" in body
    for right in ("to see it", "corrected or deleted", "to object", "Information Commissioner"):
        assert right in body


def test_campaigns_are_listed_by_title_not_slug(client, db) -> None:
    from tests.support.factories import add_orgs, make_campaign

    add_orgs(("A01", "London", "Urban"))
    make_campaign("c-2031-x", state="open")
    db.session.commit()
    body = client.get("/").get_data(as_text=True)
    assert "<code>c-2031-x</code>" not in body
