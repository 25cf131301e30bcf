"""Issue 21: the action plan where boards look, on the board organisation page: the plan
with its co-sign tallies, last round's verdict, links to the plan's page and its history,
and edit links for editors of that organisation only."""

from __future__ import annotations

from tests.actions.conftest import add, sign_in


def test_the_board_page_shows_the_plan_and_links_to_it(client, world, db) -> None:
    add(db, world.c1, "A01", world.admin, title="Pay patient leaders for their time")
    sign_in(client, world.editor_a)
    page = client.get("/dashboards/c1/A01").get_data(as_text=True)
    section = page[page.index('id="action-plan"') :]
    assert "will appear here" not in page
    assert "Pay patient leaders for their time" in section
    assert "Co-signed by patient leaders" in section
    assert 'href="/dashboards/c1/A01/actions"' in section
    assert 'href="/dashboards/c1/A01/actions#history"' in section
    assert 'href="/dashboards/c1/A01/actions/new"' in section
    assert "/actions/" in section and ">Change<" in section
    assert 'href="#action-plan"' in page  # reachable from the top of the page


def test_viewers_and_other_editors_get_no_edit_links(client, world, db) -> None:
    add(db, world.c1, "A01", world.admin)
    for user in (world.viewer, world.editor_b):
        sign_in(client, user)
        page = client.get("/dashboards/c1/A01").get_data(as_text=True)
        section = page[page.index('id="action-plan"') :]
        assert 'href="/dashboards/c1/A01/actions"' in section
        assert "/actions/new" not in section and ">Change<" not in section


def test_a_missing_plan_is_named_by_the_organisation_not_its_code(client, world, db) -> None:
    sign_in(client, world.viewer)
    page = client.get("/dashboards/c1/B01").get_data(as_text=True)
    assert "NHS B01 has not published an action plan" in page
    assert "B01 has not published" not in page.replace("NHS B01 has not", "")
    public = client.get("/results/c1/B01").get_data(as_text=True)
    assert "NHS B01 has not published an action plan" in public


def test_the_next_campaigns_board_page_links_to_last_rounds_plan(client, world, db) -> None:
    add(db, world.c1, "A01", world.admin)
    sign_in(client, world.viewer)
    page = client.get("/dashboards/c2/A01").get_data(as_text=True)
    section = page[page.index('id="action-plan"') :]
    assert 'href="/dashboards/c1/A01/actions"' in section and "Last round" in section
