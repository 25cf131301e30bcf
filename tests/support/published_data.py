"""Data for the public results pages' tests (server-side and in a browser)."""

from __future__ import annotations

from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    set_window,
    uniform_answers,
)


def _answers(q, options: list[str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Scored items answered by cycling through `options`, so scores differ by domain."""
    return {item.link_id: options[i % len(options)] for i, item in enumerate(q.scored_items)}


def build_two_campaigns(db):  # type: ignore[no-untyped-def]
    """Two closed campaigns, "before" and "spring" (previous "before"): an ICB A01 with its
    sub-ICB location A02 (and QE1, a closed child in no campaign), both in London, and
    B01 in the North West with too few patient leaders in "spring"."""
    orgs = add_orgs(
        ("A01", "London", "Urban"),
        ("A02", "London", "Urban"),
        ("B01", "North West", "Rural"),
        ("QE1", "London", "Urban"),
    )
    orgs[0].name, orgs[0].kind = "NHS North Central London ICB", "icb"
    orgs[1].name, orgs[1].parent_code = "NHS Camden 50%_ Location", "A01"
    orgs[2].name = "NHS Bolton"
    orgs[3].name, orgs[3].parent_code = "NHS Not In Campaign", "A01"
    orgs[3].closed = True  # so no campaign records it
    before = make_campaign("before", k=3, access="open")
    q = questionnaire(before)
    for _ in range(3):
        for org in ("A01", "A02", "B01"):
            responses.submit(before, org, "staff", uniform_answers(q, "neutral"))
            responses.submit(before, org, "patient_leader", uniform_answers(q, "neutral"))
    set_window(before, "closed")
    db.session.commit()
    spring = make_campaign("spring", k=3, previous="before")
    mixes = [["agree", "strongly_agree"], ["agree", "neutral"], ["strongly_agree", "agree"]]
    for i in range(3):
        for org in ("A01", "A02"):
            responses.submit(spring, org, "staff", _answers(q, mixes[i]))
            responses.submit(spring, org, "patient_leader", _answers(q, mixes[(i + 1) % 3][::-1]))
        responses.submit(spring, "B01", "staff", _answers(q, mixes[i]))
    responses.submit(spring, "B01", "patient_leader", uniform_answers(q, "neutral"))
    set_window(spring, "closed")
    db.session.commit()
    return spring
