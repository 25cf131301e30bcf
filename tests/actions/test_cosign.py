"""Co-signing a plan: single-use links printed by the CLI, clear pages for a used, expired
or outdated link, counts public and comments for the board only, and nothing that ties a
co-signature to its link."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import inspect, select

from assessor.actions import operations
from assessor.actions.cosign import cosign_counts, create_cosign_links
from assessor.campaigns.invitations import hash_token
from assessor.models import Cosign, CosignLink, utcnow
from tests.actions.conftest import action_form, add, post, sign_in


def _links(runner, org: str = "A01", count: int = 3) -> list[str]:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["actions", "cosign-links", "c1", org, "--count", str(count)])
    assert result.exit_code == 0, result.output
    tokens = re.findall(r"/cosign/([\w-]+)$", result.stdout, flags=re.M)
    assert len(tokens) == count
    return tokens


def _cosign(client, token: str, agrees: str = "yes", comment: str = ""):  # type: ignore[no-untyped-def]
    sign_in(client, None)
    return post(client, f"/cosign/{token}", {"agrees": agrees, "comment": comment})


def test_the_cli_prints_single_use_links_and_stores_only_hashes(runner, world, db) -> None:
    add(db, world.c1, "A01", world.editor_a)
    tokens = _links(runner)
    stored = db.session.scalars(select(CosignLink)).all()
    assert sorted(link.token_hash for link in stored) == sorted(hash_token(t) for t in tokens)
    assert all(not link.used for link in stored)
    refused = runner.invoke(args=["actions", "cosign-links", "c1", "B01", "--count", "2"])
    assert refused.exit_code != 0 and "has no plan" in refused.output
    refused = runner.invoke(args=["actions", "cosign-links", "c2", "A01", "--count", "2"])
    assert refused.exit_code != 0 and "not published" in refused.output


def test_a_link_shows_the_plan_and_counts_one_answer_once(client, runner, world, db) -> None:
    add(db, world.c1, "A01", world.editor_a)
    first, second, third = _links(runner)
    sign_in(client, None)
    page = client.get(f"/cosign/{first}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Patient leaders sit on the board" in html and "30 April 2026" in html
    assert "Do you agree this plan reflects what patient leaders asked for?" in html
    assert page.headers["Cache-Control"] == "no-store"

    assert _cosign(client, first, "yes", "Good, but pay us").status_code == 302
    assert _cosign(client, second, "no").status_code == 302
    used = _cosign(client, first, "no")
    assert used.status_code == 410 and "already been used" in used.get_data(as_text=True)
    assert client.get(f"/cosign/{first}").status_code == 410
    assert cosign_counts(world.c1, "A01") == {"agree": 1, "disagree": 1}

    missing = _cosign(client, third, "")
    assert missing.status_code == 400 and "There is a problem" in missing.get_data(as_text=True)
    assert not db.session.get(
        CosignLink,
        db.session.scalar(select(CosignLink.id).where(CosignLink.token_hash == hash_token(third))),
    ).used
    assert client.get("/cosign/not-a-token").status_code == 404


def test_an_expired_link_and_a_link_for_a_changed_plan_get_clear_pages(
    client, runner, world, db
) -> None:
    action = add(db, world.c1, "A01", world.editor_a)
    old, fresh = _links(runner, count=2)
    link = db.session.scalar(select(CosignLink).where(CosignLink.token_hash == hash_token(old)))
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = _cosign(client, old)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)

    # Progress does not change the promise: the link still works.
    operations.update_action(action, action_form(status="in_progress"), world.editor_a)
    db.session.commit()
    assert client.get(f"/cosign/{fresh}").status_code == 200
    # Rewording it does.
    operations.update_action(
        action, action_form(status="in_progress", title="One seat"), world.editor_a
    )
    db.session.commit()
    changed = _cosign(client, fresh)
    assert changed.status_code == 409
    assert "The plan has changed since this link was made" in changed.get_data(as_text=True)
    assert db.session.scalars(select(Cosign)).all() == []


def test_counts_are_public_and_comments_for_the_board_only(client, runner, world, db) -> None:
    add(db, world.c1, "A01", world.editor_a)
    for token, agrees in zip(_links(runner), ("yes", "yes", "no"), strict=True):
        _cosign(client, token, agrees, "Ask the carers too" if agrees == "no" else "")
    sign_in(client, None)
    public = client.get("/results/c1/A01").get_data(as_text=True)
    assert "2 agreed that this plan reflects what patient leaders asked for" in public
    assert "1 did not agree" in public
    assert "Ask the carers too" not in public
    sign_in(client, world.viewer)
    board = client.get("/dashboards/c1/A01/actions").get_data(as_text=True)
    assert "Ask the carers too" in board and "Did not agree" in board


def test_nothing_ties_a_cosignature_to_its_link_or_a_time(client, runner, world, db) -> None:
    add(db, world.c1, "A01", world.editor_a)
    (token,) = _links(runner, count=1)
    _cosign(client, token, "yes", "fine")
    link_columns = {c.key for c in inspect(CosignLink).columns}
    cosign_columns = {c.key for c in inspect(Cosign).columns}
    assert link_columns == {
        "id",
        "campaign_id",
        "org_code",
        "token_hash",
        "plan_digest",
        "expires_at",
        "used",
    }
    assert cosign_columns == {
        "id",
        "campaign_id",
        "org_code",
        "plan_digest",
        "agrees",
        "comment",
        "given_on",
    }
    (cosign,) = db.session.scalars(select(Cosign)).all()
    assert cosign.given_on == utcnow().date()
    assert create_cosign_links("c1", "A01", 1)  # links can be issued again for the same plan


def test_a_cosign_without_the_form_token_is_refused_and_the_link_stays_unused(
    client, runner, world, db
) -> None:
    add(db, world.c1, "A01", world.editor_a)
    (token,) = _links(runner, count=1)
    sign_in(client, None)
    response = client.post(f"/cosign/{token}", data={"agrees": "yes"})
    assert response.status_code == 400 and "Sorry, that did not work" in response.text
    assert db.session.scalars(select(Cosign)).all() == []
    assert client.get(f"/cosign/{token}").status_code == 200
