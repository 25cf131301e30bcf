"""Co-signatures belong to a plan version (issue 17, finding 3), and their tallies follow the
disclosure rule: k from the campaign, day-old for everyone but administrators, "fewer than
k" below it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from assessor.actions import operations
from assessor.actions.cosign import cosign_tallies, create_cosign_links
from assessor.actions.views import long_date
from assessor.auth.tokens import create_token
from assessor.models import PlanVersion, utcnow
from tests.actions.conftest import action_form, add, sign_in
from tests.actions.test_cosign import _cosign, age


def _public(client) -> str:  # type: ignore[no-untyped-def]
    sign_in(client, None)
    return client.get("/results/c1/A01").get_data(as_text=True)


def _api(client, db) -> dict:  # type: ignore[no-untyped-def]
    _, token = create_token("analyst", ["results:read"])
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/campaigns/c1/organisations/A01/actions", headers=headers).json
    return body["items"][0]


def _cosigned(client, db, answers: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    tokens = create_cosign_links("c1", "A01", len(answers))
    db.session.commit()
    for token, agrees in zip(tokens, answers, strict=True):
        assert _cosign(client, token, agrees).status_code == 302


def test_moving_a_due_date_by_a_day_neither_erases_nor_restores_cosignatures(
    client, world, db
) -> None:
    """The attack: an editor moved a due date by one day and the public page said nobody
    had co-signed; moving it back brought the "did not agree" answers back."""
    action = add(db, world.c1, "A01", world.editor_a)
    _cosigned(client, db, ("no", "no", "yes"))
    age(db)
    before = _public(client)
    assert "1 agreed that this plan reflects what patient leaders asked for" in before
    assert "2 did not agree" in before
    opened = long_date(utcnow().date())

    operations.update_action(action, action_form(due_on="2026-05-01"), world.editor_a)
    db.session.commit()
    moved = _public(client)
    assert f"1 agreed with the version of {opened}; 2 did not agree with the version of" in moved
    assert "fewer than 3 patient leaders have co-signed this version of the plan" in moved
    assert "no patient leader has co-signed" not in moved

    operations.update_action(action, action_form(due_on="2026-04-30"), world.editor_a)
    db.session.commit()
    back = _public(client)
    assert "2 did not agree with the version of" in back
    assert "fewer than 3 patient leaders have co-signed this version of the plan" in back
    numbers = db.session.scalars(select(PlanVersion.number).order_by(PlanVersion.number)).all()
    assert numbers == [1, 2]  # moving back edits version 2, which nobody has co-signed

    item = _api(client, db)
    assert item["cosign"]["version"] == 2 and item["cosign"]["suppressed"] is True
    assert item["cosign"]["agree"] is None and item["cosign"]["n"] is None
    (earlier,) = item["earlier_versions"]
    assert {k: earlier[k] for k in ("version", "agree", "disagree", "n", "suppressed")} == {
        "version": 1,
        "agree": 1,
        "disagree": 2,
        "n": 3,
        "suppressed": False,
    }
    sign_in(client, world.viewer)
    board = client.get("/dashboards/c1/A01/actions").get_data(as_text=True)
    assert "2 did not agree with the version of" in board


def test_a_cosign_today_changes_no_public_tally_until_tomorrow(client, world, db) -> None:
    add(db, world.c1, "A01", world.editor_a)
    _cosigned(client, db, ("yes", "yes", "no"))
    age(db)
    shown = "2 agreed that this plan reflects what patient leaders asked for; 1 did not agree"
    assert shown in _public(client)
    _cosigned(client, db, ("yes",))
    assert shown in _public(client)  # the same day: unchanged
    assert _api(client, db)["cosign"]["agree"] == 2
    now = utcnow()
    (today,) = cosign_tallies(world.c1, "A01", now=now)
    (tomorrow,) = cosign_tallies(world.c1, "A01", now=now + timedelta(days=1))
    assert today.tally.counts == {"agree": 2, "disagree": 1} and today.count.value == 3
    # Tomorrow counts 4, but one co-signature more would show its answer: the tally stays
    # as released at 3 until k more (test_attack_one_cosignature_more_a_day_later_...).
    assert tomorrow.tally.counts == {"agree": 2, "disagree": 1} and tomorrow.count.value == 4
    (live,) = cosign_tallies(world.c1, "A01", admin=True)  # administrators read live counts
    assert live.tally.counts == {"agree": 3, "disagree": 1}
    age(db)
    assert shown in _public(client)


def test_tallies_below_k_read_fewer_than_k_never_their_value(client, world, db) -> None:
    add(db, world.c1, "A01", world.editor_a)
    _cosigned(client, db, ("no", "yes"))
    age(db)
    page = _public(client)
    assert "fewer than 3 patient leaders have co-signed this plan" in page
    assert "did not agree" not in page and "1 agreed" not in page
    cosign = _api(client, db)["cosign"]
    assert cosign == {
        "agree": None,
        "disagree": None,
        "n": None,
        "suppressed": True,
        "reason": "below_minimum",
        "version": 1,
        "opened_on": utcnow().date().isoformat(),
    }
    (tally,) = cosign_tallies(world.c1, "A01")
    assert str(tally.count) == "fewer than 3"


def test_an_earlier_versions_tally_below_k_is_withheld_too(client, world, db) -> None:
    action = add(db, world.c1, "A01", world.editor_a)
    _cosigned(client, db, ("no",))
    operations.update_action(action, action_form(title="One seat"), world.editor_a)
    db.session.commit()
    _cosigned(client, db, ("yes", "yes", "yes"))
    age(db)
    page = _public(client)
    assert "3 agreed that this plan reflects what patient leaders asked for; 0 did not agree" in (
        page
    )
    assert "Fewer than 3 patient leaders co-signed the version of" in page
    (earlier,) = _api(client, db)["earlier_versions"]
    assert earlier["suppressed"] is True and earlier["disagree"] is None
