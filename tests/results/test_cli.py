"""`assessor results rebuild` and `assessor responses void` from the command line."""

from __future__ import annotations

from sqlalchemy import select

from assessor.models import AuditEvent, Response
from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    result_items,
    set_window,
    uniform_answers,
)


def test_rebuild_and_void_from_the_command_line(runner, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=3)
    q = questionnaire(campaign)
    for option in ["agree", "agree", "neutral", "strongly_agree"]:
        responses.submit(campaign, "A01", "staff", uniform_answers(q, option))
    set_window(campaign, "closed", publish=False)
    db.session.commit()

    out = runner.invoke(args=["results", "rebuild", "c"])
    assert out.exit_code == 0, out.output
    assert (
        "rebuilt c: 4 responses" in out.output
        and "0 stored respondent scores changed" in out.output
    )

    victim = db.session.scalars(select(Response)).first()
    out = runner.invoke(args=["responses", "void", victim.id, "--reason", "test entry"])
    assert out.exit_code == 0, out.output
    db.session.expire_all()
    assert db.session.get(Response, victim.seq).status == "voided"
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "response.void"))
    assert audit.details["reason"] == "test entry" and audit.details["response"] == victim.id
    out = runner.invoke(args=["jobs", "run-due"])
    assert out.output == "published c: publication 1\n"
    item = result_items(db.session.merge(campaign), "staff")[0]
    assert item["responses"]["staff"] == 3

    again = runner.invoke(args=["responses", "void", victim.id, "--reason", "twice"])
    assert again.exit_code != 0 and "voided, not submitted" in again.output
    missing = runner.invoke(args=["results", "rebuild", "nope"])
    assert missing.exit_code != 0 and "'nope' does not exist" in missing.output
