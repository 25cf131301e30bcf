"""Patient leaders' verdict on last round's plan: asked of them alone after the scored
pages, counted only once their response is submitted, never scored, suppressed below k,
removed by a void, and published with the next campaign."""

from __future__ import annotations

from sqlalchemy import func, select

from assessor.actions.reading import plan_view
from assessor.actions.verdicts import verdict_tallies
from assessor.auth.tokens import create_token
from assessor.models import Response, VerdictAnswer
from assessor.responses import submission as responses
from assessor.survey.pages import survey_pages
from tests.actions.conftest import add, post, sign_in
from tests.support.factories import questionnaire, set_window, uniform_answers


def _started(db, world, org: str = "A01", audience: str = "patient_leader"):  # type: ignore[no-untyped-def]
    """An in-progress response of `c2` with every scored item answered."""
    response, token = responses.start(world.c2, org, audience)
    q = questionnaire(world.c2)
    responses.save_answers(response, uniform_answers(q, "agree"), [i.link_id for i in q.items])
    db.session.commit()
    return response, token


def _verdict(client, token: str, answers: dict[int, tuple[str, str]]):  # type: ignore[no-untyped-def]
    form = {}
    for action_id, (happened, difference) in answers.items():
        form[f"happened-{action_id}"] = happened
        form[f"difference-{action_id}"] = difference
    return post(client, f"/r/{token}/actions", form)


def _respond(client, db, world, answers, org: str = "A01") -> Response:  # type: ignore[no-untyped-def]
    response, token = _started(db, world, org)
    sign_in(client, None)
    assert _verdict(client, token, answers).status_code == 302
    assert post(client, f"/r/{token}/review").status_code == 302
    db.session.expire_all()
    return db.session.get(Response, response.seq)


def test_patient_leaders_get_the_verdict_page_after_the_scored_pages(client, world, db) -> None:
    first = add(db, world.c1, "A01", world.editor_a)
    second = add(db, world.c1, "A01", world.editor_a, title="Pay patient leaders", status="done")
    last = len(survey_pages(questionnaire(world.c2)))
    response, token = _started(db, world)
    sign_in(client, None)
    to = post(client, f"/r/{token}/{last}", {"action": "continue"})
    assert to.headers["Location"] == f"/r/{token}/actions"
    page = client.get(f"/r/{token}/actions").get_data(as_text=True)
    assert f"Page {last + 1} of {last + 2}" in page
    assert "Patient leaders sit on the board" in page and "Pay patient leaders" in page
    assert page.count("Has this happened?") == 2 and page.count("Has it made a difference?") == 2
    assert "The organisation says: done" in page

    saved = _verdict(client, token, {first.id: ("partly", ""), second.id: ("done", "yes")})
    assert saved.headers["Location"] == f"/r/{token}/review"
    review = client.get(f"/r/{token}/review").get_data(as_text=True)
    assert "Last round's plan" in review and f'href="/r/{token}/actions"' in review
    assert "Partly" in review and f"Page {last + 2} of {last + 2}" in review
    # Back and forward without losing answers.
    again = client.get(f"/r/{token}/actions").get_data(as_text=True)
    assert f'name="happened-{first.id}" value="partly" checked' in again
    tampered = _verdict(client, token, {first.id: ("maybe", "")})
    assert tampered.status_code == 400 and "Choose one of the answers listed" in tampered.text


def test_staff_and_organisations_without_a_plan_are_not_asked(client, world, db) -> None:
    add(db, world.c1, "A01", world.editor_a)
    last = len(survey_pages(questionnaire(world.c2)))
    sign_in(client, None)
    for org, audience in (("A01", "staff"), ("B01", "patient_leader")):
        _, token = _started(db, world, org, audience)
        to = post(client, f"/r/{token}/{last}", {"action": "continue"})
        assert to.headers["Location"] == f"/r/{token}/review", (org, audience)
        assert client.get(f"/r/{token}/actions").headers["Location"] == f"/r/{token}/review"
        assert f"Page {last} of {last + 1}" in client.get(f"/r/{token}/{last}").text


def test_verdicts_count_once_submitted_and_never_change_a_score(client, world, db) -> None:
    action = add(db, world.c1, "A01", world.editor_a)
    response, token = _started(db, world)
    sign_in(client, None)
    _verdict(client, token, {action.id: ("not", "no")})
    assert verdict_tallies(world.c2)[("A01", action.id)]["suppressed"]
    assert _tally_n(db, world, action.id) == 0  # in progress: not counted
    post(client, f"/r/{token}/review")
    db.session.expire_all()
    judged = db.session.get(Response, response.seq)
    assert judged.status == "submitted"
    assert _tally_n(db, world, action.id) == 1
    plain = responses.submit(
        world.c2, "A01", "patient_leader", uniform_answers(questionnaire(world.c2), "agree")
    )
    assert judged.scores == plain.scores
    assert judged.answers == plain.answers  # verdicts are not questionnaire answers


def _tally_n(db, world, action_id: int) -> int:  # type: ignore[no-untyped-def]
    """Submitted responses with a verdict on the action (below k, the tally hides it)."""
    return db.session.scalar(
        select(func.count())
        .select_from(VerdictAnswer)
        .join(Response, Response.seq == VerdictAnswer.response_seq)
        .where(VerdictAnswer.action_id == action_id, Response.status == "submitted")
    )


def test_verdicts_below_k_are_suppressed_and_a_void_removes_them(client, world, db) -> None:
    action = add(db, world.c1, "A01", world.editor_a)
    other = add(db, world.c1, "B01", world.editor_b)
    _respond(client, db, world, {action.id: ("done", "yes")})
    _respond(client, db, world, {action.id: ("partly", "dont_know")})
    tallies = verdict_tallies(world.c2)
    assert tallies[("A01", action.id)] == {
        "happened": {"done": None, "partly": None, "not": None},
        "difference": {"yes": None, "some": None, "no": None},
        "n": None,
        "suppressed": True,
        "reason": "below_minimum",
    }
    assert tallies[("B01", other.id)]["reason"] == "below_minimum"  # nobody answered
    third = _respond(client, db, world, {action.id: ("done", "")})
    assert verdict_tallies(world.c2)[("A01", action.id)] == {
        "happened": {"done": 2, "partly": 1, "not": 0},
        "difference": {"yes": 1, "some": 0, "no": 0},
        "n": 3,
        "suppressed": False,
        "reason": None,
    }
    responses.void(third, "test response", actor="cli")
    db.session.commit()
    assert (
        db.session.scalars(
            select(VerdictAnswer).where(VerdictAnswer.response_seq == third.seq)
        ).all()
        == []
    )
    assert verdict_tallies(world.c2)[("A01", action.id)]["suppressed"]


def test_the_verdict_is_published_with_the_next_campaign(client, world, db) -> None:
    action = add(db, world.c1, "A01", world.editor_a)
    for happened in ("done", "done", "not"):
        _respond(client, db, world, {action.id: (happened, "some")})
    token = create_token("analyst", ["results:read"])[1]
    headers = {"Authorization": f"Bearer {token}"}
    db.session.commit()

    assert plan_view(world.c1, "A01").verdicts is None  # c2 still open
    body = client.get("/api/v1/campaigns/c1/organisations/A01/actions", headers=headers).json
    assert body["total"] == 1 and body["next"] is None
    assert body["items"][0]["verdict"] is None
    assert body["items"][0]["cosign"] == {
        "agree": None,
        "disagree": None,
        "n": None,
        "suppressed": True,
        "reason": "below_minimum",
        "version": 1,
        "opened_on": None,
    }
    assert body["items"][0]["earlier_versions"] == []
    assert body["items"][0]["domain_trend"] is None
    assert "Their verdict is published when it closes" in client.get("/results/c1/A01").text

    set_window(world.c2, "closed")
    db.session.commit()
    item = client.get("/api/v1/campaigns/c1/organisations/A01/actions", headers=headers).json[
        "items"
    ][0]
    assert item["id"] == action.id and item["status"] == "planned"
    assert item["due_on"] == "2026-04-30" and item["domain"] == "governance"
    assert item["verdict"] == {
        "happened": {"done": 2, "partly": 0, "not": 1},
        "difference": {"yes": 0, "some": 3, "no": 0},
        "n": 3,
        "suppressed": False,
        "reason": None,
    }
    trend = item["domain_trend"]
    assert set(trend) >= {"before", "now", "delta", "suppressed", "reason"}
    assert trend["reason"] == "below_minimum" and trend["delta"] is None  # no c1 answers
    public = client.get("/results/c1/A01").text
    assert "Has it happened? 2 said done, 0 partly," in public
    latest = client.get("/results/c2/A01").text
    assert "Did last round's plan happen?" in latest
    assert "Has it made a difference? 0 said yes, 3 some," in latest
    assert (
        client.get("/api/v1/campaigns/c1/organisations/ZZZ/actions", headers=headers).status_code
        == 404
    )
    assert client.get("/api/v1/campaigns/c1/organisations/A01/actions").status_code == 401


def test_a_failed_submission_counts_no_verdict(client, world, db) -> None:
    action = add(db, world.c1, "A01", world.editor_a)
    response, token = _started(db, world)
    sign_in(client, None)
    _verdict(client, token, {action.id: ("done", "yes")})
    set_window(world.c2, "closed", publish=False)  # it closes before Submit is pressed
    db.session.commit()
    assert post(client, f"/r/{token}/review").status_code == 410
    db.session.expire_all()
    assert db.session.get(Response, response.seq).status == "in_progress"
    assert _tally_n(db, world, action.id) == 0
    assert verdict_tallies(world.c2)[("A01", action.id)]["n"] is None
