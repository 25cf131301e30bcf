"""In-progress responses behind the survey pages: saved page by page, resumable only by an
opaque token kept hashed, counted only once submitted."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from assessor.models import Response
from assessor.responses import submission as responses
from tests.support.factories import add_orgs, make_campaign, questionnaire, result_items, set_window


def test_save_resume_and_complete(db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=3)
    q = questionnaire(campaign)
    response, token = responses.start(campaign, "A01", "patient_leader")
    assert response.resume_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(response.resume_token_hash)
    governance = [i.link_id for i in q.items if i.domain == "governance"]
    responses.save_answers(response, {governance[0]: "agree", governance[1]: "neutral"}, governance)
    assert responses.find_in_progress(token) is response
    # Going back and clearing an answer on that page clears it.
    responses.save_answers(response, {governance[0]: "agree"}, governance)
    assert response.answers == {governance[0]: "agree"}
    with pytest.raises(responses.AnswerErrors) as bad:
        responses.save_answers(response, {governance[0]: "maybe"}, governance)
    assert f"answers.{governance[0]}" in bad.value.errors
    assert response.answers == {governance[0]: "agree"}
    # Nothing in progress counts.
    item = result_items(campaign, "patient_leader", admin=True)[0]
    assert item["responses"]["patient_leader"] == 0

    responses.complete(response)
    assert response.status == "submitted" and response.resume_token_hash is None
    assert responses.find_in_progress(token) is None
    # gov-1 (consultation) agreed, and nothing else of the six governance items: fewer than
    # half answered, so no governance score (rule set 2).
    assert q.item(governance[0]).rung == "consultation"
    assert len([i for i in q.scored_items if i.domain == "governance"]) == 6
    assert response.scores["full"]["domains"]["governance"] is None
    item = result_items(campaign, "patient_leader", admin=True)[0]
    assert item["responses"]["patient_leader"] == 1


def test_hidden_answers_are_dropped_at_completion(db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=3)
    q = questionnaire(campaign)
    follow_up = next(i for i in q.items if i.enable_when is not None)
    parent = q.item(follow_up.enable_when.link_id)
    other = next(o.key for o in parent.options if o.key != follow_up.enable_when.answer)
    response, _ = responses.start(campaign, "A01", "staff")
    page = [parent.link_id, follow_up.link_id]
    responses.save_answers(
        response, {parent.link_id: follow_up.enable_when.answer, follow_up.link_id: "why"}, page
    )
    responses.save_answers(response, {parent.link_id: other}, [parent.link_id])
    responses.complete(response)
    assert follow_up.link_id not in response.answers
    assert response.answers[parent.link_id] == other


def test_closed_campaign_refuses_and_bad_cells_are_named(db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=3)
    with pytest.raises(responses.AnswerErrors) as bad:
        responses.start(campaign, "ZZZ", "public")
    assert set(bad.value.errors) == {"organisation", "audience"}
    response, _ = responses.start(campaign, "A01", "staff")
    set_window(campaign, "closed", publish=False)  # closed by its date, not yet published
    with pytest.raises(responses.SurveyClosed):
        responses.complete(response)
    with pytest.raises(responses.SurveyClosed):
        responses.start(campaign, "A01", "staff")
    assert db.session.scalar(select(Response.status)) == "in_progress"
