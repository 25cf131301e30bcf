"""Editing plans: who may, when, what is checked, and the audit trail of every change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessor.actions import operations
from assessor.models import Action, AuditEvent, User
from tests.actions.conftest import DUE, PASSWORD, action_form, add, post, sign_in


def _actions(db) -> list[Action]:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return list(db.session.scalars(select(Action).order_by(Action.id)))


def test_an_editor_writes_their_own_organisations_plan(client, world, db) -> None:
    sign_in(client, world.editor_a)
    assert client.get("/dashboards/c1/A01/actions/new").status_code == 200
    response = post(client, "/dashboards/c1/A01/actions/new", action_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboards/c1/A01/actions"
    (action,) = _actions(db)
    assert (action.org_code, action.domain, action.title, action.due_on, action.status) == (
        "A01",
        "governance",
        "Patient leaders sit on the board",
        DUE,
        "planned",
    )
    page = client.get("/dashboards/c1/A01/actions").get_data(as_text=True)
    assert "Patient leaders sit on the board" in page
    assert "Add an action" in page


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_editor_of_one_organisation_cannot_touch_anothers_plan(
    client, world, db, method
) -> None:
    theirs = add(db, world.c1, "B01", world.editor_b, title="B's own action")
    sign_in(client, world.editor_a)
    for url in ("/dashboards/c1/B01/actions/new", f"/dashboards/c1/B01/actions/{theirs.id}"):
        if method == "GET":
            response = client.get(url)
        else:
            response = post(client, url, action_form(title="Taken over"))
        assert response.status_code == 403, url
        assert "editors and administrators can change" in response.get_data(as_text=True)
    assert [a.title for a in _actions(db)] == ["B's own action"]
    # Nor through another organisation's address with their own action's id.
    mine = add(db, world.c1, "A01", world.editor_a)
    assert client.get(f"/dashboards/c1/B01/actions/{mine.id}").status_code == 403
    assert post(client, f"/dashboards/c1/A01/actions/{theirs.id}", action_form()).status_code == 404


def test_viewers_read_plans_but_cannot_edit_and_strangers_must_sign_in(client, world, db) -> None:
    add(db, world.c1, "A01", world.editor_a)
    sign_in(client, world.viewer)
    page = client.get("/dashboards/c1/A01/actions")
    assert page.status_code == 200 and "Patient leaders sit on the board" in page.get_data(True)
    assert "Add an action" not in page.get_data(as_text=True)
    assert post(client, "/dashboards/c1/A01/actions/new", action_form()).status_code == 403
    sign_in(client, None)
    response = client.get("/dashboards/c1/A01/actions")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert post(client, "/dashboards/c1/A01/actions/new", action_form()).status_code == 302
    assert len(_actions(db)) == 1


def test_admins_edit_any_plan(client, world, db) -> None:
    sign_in(client, world.admin)
    for org in ("A01", "B01"):
        assert post(client, f"/dashboards/c1/{org}/actions/new", action_form()).status_code == 302
    assert sorted(a.org_code for a in _actions(db)) == ["A01", "B01"]


def test_plans_are_written_only_after_publication(client, world, db) -> None:
    sign_in(client, world.admin)
    response = post(client, "/dashboards/c2/A01/actions/new", action_form())
    assert response.status_code == 403
    assert "once the campaign has closed" in response.get_data(as_text=True)
    assert _actions(db) == []
    with pytest.raises(operations.NotYetPublished):
        operations.add_action(world.c2, "A01", action_form(), world.admin)


def test_a_bad_form_is_refused_with_an_error_summary_and_nothing_stored(client, world, db) -> None:
    sign_in(client, world.editor_a)
    response = post(
        client,
        "/dashboards/c1/A01/actions/new",
        action_form(domain="nonsense", title="  ", due_on="31/04/2026", status="finished"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    for field, message in [
        ("domain", "Choose the domain this action is about"),
        ("title", "Enter a title"),
        ("due_on", "Enter the due date as a real date"),
        ("status", "Choose a status"),
    ]:
        assert f'href="#{field}"' in html and message in html
    assert _actions(db) == []


def test_every_change_is_audited_with_who_when_and_what(client, world, db) -> None:
    sign_in(client, world.editor_a)
    post(client, "/dashboards/c1/A01/actions/new", action_form())
    (action,) = _actions(db)
    url = f"/dashboards/c1/A01/actions/{action.id}"
    post(client, url, action_form(status="in_progress", title="Two board seats"))
    post(client, url, action_form(status="in_progress", title="Two board seats"))  # unchanged
    sign_in(client, world.admin)
    post(client, url, action_form(status="done", title="Two board seats"))

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("action.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.actor, e.action) for e in events] == [
        ("a@example.nhs.uk", "action.create"),
        ("a@example.nhs.uk", "action.update"),
        ("admin@example.nhs.uk", "action.update"),
    ]
    assert all(e.at is not None for e in events)
    assert events[0].details["changes"]["title"] == [None, "Patient leaders sit on the board"]
    assert events[0].details["changes"]["due_on"] == [None, "2026-04-30"]
    assert events[1].details == {
        "campaign": "c1",
        "organisation": "A01",
        "action_id": action.id,
        "changes": {
            "title": ["Patient leaders sit on the board", "Two board seats"],
            "status": ["planned", "in_progress"],
        },
    }
    assert events[2].details["changes"] == {"status": ["in_progress", "done"]}
    history = client.get("/dashboards/c1/A01/actions").get_data(as_text=True)
    assert "admin@example.nhs.uk" in history and "in_progress &rarr; done" in history


def test_users_create_an_editor_for_one_organisation(runner, world, db) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "ed@example.nhs.uk",
            "--role",
            "editor",
            "--org",
            "A01",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created editor of A01 ed@example.nhs.uk." in result.output
    user = db.session.scalar(select(User).where(User.email == "ed@example.nhs.uk"))
    assert (user.role, user.org_code) == ("editor", "A01")
    for args, why in (
        (["x@example.nhs.uk", "--role", "editor"], "an editor needs the organisation"),
        (["y@example.nhs.uk", "--role", "admin", "--org", "A01"], "belongs to none"),
    ):
        command = ["users", "create", *args, "--password-stdin"]
        refused = runner.invoke(args=command, input=PASSWORD + "\n")
        assert refused.exit_code != 0 and why in refused.output
    viewer = ["users", "create", "v@example.nhs.uk", "--role", "viewer", "--org", "A01"]
    result = runner.invoke(args=[*viewer, "--password-stdin"], input=PASSWORD + "\n")
    assert "Created viewer of A01 v@example.nhs.uk." in result.output
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "z@example.nhs.uk",
            "--role",
            "editor",
            "--org",
            "ZZZ",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert unknown.exit_code != 0 and "no organisation 'ZZZ'" in unknown.output
