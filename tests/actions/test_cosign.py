"""Co-signing a plan: single-use links printed by the CLI, clear pages for a used or expired
link, a link for an earlier version co-signing the current one, counts public (day-old,
under k) and comments for the board only, and nothing that ties a co-signature to its
link."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import inspect, select

from assessor.actions import operations
from assessor.actions.cosign import cosign_tallies, create_cosign_links
from assessor.campaigns.invitations import hash_token
from assessor.models import Cosign, CosignLink, utcnow
from tests.actions.conftest import action_form, add, post, sign_in


def _links(runner, org: str = "A01", count: int = 3) -> list[str]:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["actions", "cosign-links", "c1", org, "--count", str(count)])
    assert result.exit_code == 0, result.output
    tokens = re.findall(r"/cosign/([\w-]+)$", result.stdout, flags=re.M)
    assert len(tokens) == count
    return tokens


def counts(campaign, org: str = "A01", version: int | None = None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Live counts of one version (the current one by default), as an administrator reads."""
    tallies = cosign_tallies(campaign, org, admin=True)
    found = tallies[0] if version is None else next(t for t in tallies if t.number == version)
    return dict(found.tally.counts or {})


def age(db, days: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Move every co-signature `days` into the past: the day turning, without sleeping."""
    for row in db.session.scalars(select(Cosign)):
        row.given_on -= timedelta(days=days)
    db.session.commit()


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
    assert counts(world.c1) == {"agree": 1, "disagree": 1}

    missing = _cosign(client, third, "")
    assert missing.status_code == 400 and "There is a problem" in missing.get_data(as_text=True)
    assert not db.session.get(
        CosignLink,
        db.session.scalar(select(CosignLink.id).where(CosignLink.token_hash == hash_token(third))),
    ).used
    assert client.get("/cosign/not-a-token").status_code == 404


def test_an_expired_link_gets_a_clear_page_and_a_link_for_a_changed_plan_signs_the_new_one(
    client, runner, world, db
) -> None:
    action = add(db, world.c1, "A01", world.editor_a)
    old, fresh, first = _links(runner, count=3)
    link = db.session.scalar(select(CosignLink).where(CosignLink.token_hash == hash_token(old)))
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = _cosign(client, old)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)

    # Before anyone co-signed, rewording changes version 1 itself: the link shows it as is.
    operations.update_action(action, action_form(title="Two seats"), world.editor_a)
    db.session.commit()
    page = client.get(f"/cosign/{fresh}").get_data(as_text=True)
    assert "Two seats" in page and "The plan has changed since this link was made" not in page
    assert _cosign(client, first, "no").status_code == 302
    # Progress does not change the promise: still version 1.
    operations.update_action(
        action, action_form(title="Two seats", status="in_progress"), world.editor_a
    )
    db.session.commit()
    assert "has changed" not in client.get(f"/cosign/{fresh}").get_data(as_text=True)
    # Rewording a co-signed plan opens version 2; the old link co-signs it, saying so.
    operations.update_action(
        action, action_form(status="in_progress", title="One seat"), world.editor_a
    )
    db.session.commit()
    page = client.get(f"/cosign/{fresh}")
    assert page.status_code == 200
    assert "The plan has changed since this link was made" in page.get_data(as_text=True)
    assert "One seat" in page.get_data(as_text=True)
    assert _cosign(client, fresh, "yes").status_code == 302
    assert sorted((c.version, c.agrees) for c in db.session.scalars(select(Cosign))) == [
        (1, False),
        (2, True),
    ]
    assert counts(world.c1) == {"agree": 1, "disagree": 0}
    assert counts(world.c1, version=1) == {"agree": 0, "disagree": 1}


def test_counts_are_public_and_comments_for_the_board_only(client, runner, world, db) -> None:
    add(db, world.c1, "A01", world.editor_a)
    for token, agrees in zip(_links(runner), ("yes", "yes", "no"), strict=True):
        _cosign(client, token, agrees, "Ask the carers too" if agrees == "no" else "")
    sign_in(client, None)
    today = client.get("/results/c1/A01").get_data(as_text=True)
    assert "fewer than 3 patient leaders have co-signed this plan" in today
    assert "agreed that this plan" not in today
    age(db)  # the next day
    public = client.get("/results/c1/A01").get_data(as_text=True)
    assert "2 agreed that this plan reflects what patient leaders asked for" in public
    assert "1 did not agree" in public
    assert "Ask the carers too" not in public
    sign_in(client, world.editor_a)
    board = client.get("/dashboards/c1/A01/actions").get_data(as_text=True)
    assert "Ask the carers too" in board and "Did not agree" in board
    for other in (world.viewer, world.editor_b):  # free text: the organisation's own users
        sign_in(client, other)
        board = client.get("/dashboards/c1/A01/actions").get_data(as_text=True)
        assert "Ask the carers too" not in board
        assert "shown to administrators and the organisation's own users only" in board


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
        "version",
        "expires_at",
        "used",
    }
    assert cosign_columns == {
        "id",
        "campaign_id",
        "org_code",
        "plan_digest",
        "version",
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


def test_attack_one_cosignature_more_a_day_later_never_shows_its_answer(
    client, runner, world, db
) -> None:
    """Differencing a growing tally (scoring.md s.6): three co-signed two days ago (2 agreed,
    1 did not), one more yesterday. Yesterday's page showed 2/1; today's showed 2/2, so
    that one person "did not agree", to anyone who knew who co-signed yesterday. A tally is
    now released only k people at a time: today still shows 2/1, k more show the next."""
    add(db, world.c1, "A01", world.editor_a)
    tokens = _links(runner, count=6)
    for token, agrees in zip(tokens[:3], ("yes", "yes", "no"), strict=True):
        _cosign(client, token, agrees)
    age(db)
    _cosign(client, tokens[3], "no")
    age(db)  # three co-signed two days ago, one yesterday

    def shown(days_ago: int) -> tuple[dict[str, int] | None, int | None]:
        now = utcnow() - timedelta(days=days_ago)
        tally = cosign_tallies(world.c1, "A01", now=now)[0].tally
        return tally.counts, tally.n

    assert shown(1) == ({"agree": 2, "disagree": 1}, 3)
    assert shown(0) == shown(1)
    sign_in(client, None)
    page = client.get("/results/c1/A01").get_data(as_text=True)
    assert "2 agreed that this plan" in page and "1 did not agree" in page
    assert "the first 3 of 4 co-signatures" in page
    assert counts(world.c1) == {"agree": 2, "disagree": 2}  # administrators read live

    for token in tokens[4:]:
        _cosign(client, token, "yes")
    age(db)  # k = 3 more than the last tally shown: the next one may be shown
    assert shown(0) == ({"agree": 4, "disagree": 2}, 6)
