"""Patient leaders' verdict, in the next campaign, on last round's plan.

Verdict answers live in their own table keyed by (response, action), never among the
questionnaire answers, so they can never change a score. They count only while their
response is submitted: saved on the survey page, they are counted from the moment the
response's completion commits, and not at all if it fails; a void deletes them
(responses.void).
Published per action under the campaign's k rule, counted over the patient leaders who
answered that action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from assessor import disclosure, results
from assessor.actions.operations import is_published, plan_of
from assessor.extensions import db
from assessor.models import Action, Campaign, Response, VerdictAnswer
from assessor.models.action import DIFFERENCE, HAPPENED

HAPPENED_LABELS = {
    "done": "Yes, done",
    "partly": "Partly",
    "not": "No, not done",
    "dont_know": "Don't know",
}
DIFFERENCE_LABELS = {
    "yes": "Yes",
    "some": "Some difference",
    "no": "No",
    "dont_know": "Don't know",
}
#: Published counts: "don't know" is left out, as api.md lists; n counts it.
PUBLISHED_HAPPENED = ("done", "partly", "not")
PUBLISHED_DIFFERENCE = ("yes", "some", "no")
BELOW_MINIMUM = disclosure.BELOW_MINIMUM
#: The name under which each publication freezes the verdicts it publishes.
SECTION = "verdicts"
#: Form field names of one action's two questions.
HAPPENED_FIELD = "happened-{}"
DIFFERENCE_FIELD = "difference-{}"


class VerdictErrors(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def actions_to_judge(response: Response) -> list[Action]:
    """Last round's actions this respondent is asked about: only patient leaders, only of
    their own organisation, only when the campaign has a previous one with a plan."""
    if response.audience != "patient_leader":
        return []
    campaign = db.session.get(Campaign, response.campaign_id)
    if campaign is None or campaign.previous is None:
        return []
    return plan_of(campaign.previous, response.org_code)


def verdict_pages(response: Response) -> int:
    """How many verdict pages this respondent's survey has after the scored pages: 1 or 0."""
    return 1 if actions_to_judge(response) else 0


def verdict_review_rows(response: Response) -> list[dict[str, Any]]:
    """The verdict answers as the review page lists them."""
    actions = actions_to_judge(response)
    saved = saved_verdicts(response) if actions else {}
    rows = []
    for action in actions:
        row = saved.get(action.id)
        rows.append(
            {
                "action": action,
                "happened": HAPPENED_LABELS.get(row.happened or "") if row else None,
                "difference": DIFFERENCE_LABELS.get(row.difference or "") if row else None,
            }
        )
    return rows


def saved_verdicts(response: Response) -> dict[int, VerdictAnswer]:
    rows = db.session.scalars(
        select(VerdictAnswer).where(VerdictAnswer.response_seq == response.seq)
    )
    return {row.action_id: row for row in rows}


def save_verdicts(response: Response, form: Mapping[str, Any], actions: list[Action]) -> None:
    """Store the page's answers (flushed): an action answered neither way has no row, so
    clearing both answers really clears them. Raises VerdictErrors for an answer that is
    not an option (a tampered form), storing nothing."""
    errors: dict[str, str] = {}
    wanted: dict[int, tuple[str | None, str | None]] = {}
    for action in actions:
        happened = form.get(HAPPENED_FIELD.format(action.id)) or None
        difference = form.get(DIFFERENCE_FIELD.format(action.id)) or None
        if happened is not None and happened not in HAPPENED:
            errors[HAPPENED_FIELD.format(action.id)] = "Choose one of the answers listed"
        if difference is not None and difference not in DIFFERENCE:
            errors[DIFFERENCE_FIELD.format(action.id)] = "Choose one of the answers listed"
        if happened is not None or difference is not None:
            wanted[action.id] = (happened, difference)
    if errors:
        raise VerdictErrors(errors)
    existing = saved_verdicts(response)
    for action in actions:
        row = existing.get(action.id)
        if action.id not in wanted:
            if row is not None:
                db.session.delete(row)
            continue
        happened, difference = wanted[action.id]
        if row is None:
            row = VerdictAnswer(response_seq=response.seq, action_id=action.id)
            db.session.add(row)
        row.happened, row.difference = happened, difference
    db.session.flush()


def _suppressed(reason: str) -> dict[str, Any]:
    return {
        "happened": {key: None for key in PUBLISHED_HAPPENED},
        "difference": {key: None for key in PUBLISHED_DIFFERENCE},
        "n": None,
        "suppressed": True,
        "reason": reason,
    }


def verdict_tallies(
    campaign: Campaign, previous: Mapping[str, Any] | None = None
) -> dict[tuple[str, int], dict[str, Any]]:
    """`_tallies` without the references kept for the next revision."""
    return {
        key: {k: v for k, v in tally.items() if k != "ref_n"}
        for key, tally in _tallies(campaign, previous).items()
    }


def _tallies(
    campaign: Campaign, previous: Mapping[str, Any] | None = None
) -> dict[tuple[str, int], dict[str, Any]]:
    """The verdicts given in `campaign` on its previous campaign's plans, per (organisation,
    action): counts of each answer over the patient leaders who answered that action
    (either question, "don't know" included), shown only when that number reaches the
    campaign's k; below it every number is null with reason `below_minimum`. Every action
    of the previous plans has an entry, those nobody answered included.

    `previous` is the section as the campaign's last publication froze it: a tally it
    showed, from which 1..k-1 answers have gone since, is withheld with
    `revision_below_minimum` (scoring.md s.6). Each entry keeps `ref_n`, its n as at the
    last publication that showed it, for the next revision (never shown)."""
    if campaign.previous_id is None:
        return {}
    actions = db.session.execute(
        select(Action.id, Action.org_code).where(Action.campaign_id == campaign.previous_id)
    ).all()
    counts: dict[int, dict[str, Any]] = {
        action_id: {"happened": {}, "difference": {}, "n": 0} for action_id, _ in actions
    }
    answered = (
        select(VerdictAnswer.action_id, VerdictAnswer.happened, VerdictAnswer.difference)
        .join(Response, Response.seq == VerdictAnswer.response_seq)
        .join(Action, Action.id == VerdictAnswer.action_id)
        .where(
            Response.campaign_id == campaign.id,
            Response.status == "submitted",
            Response.audience == "patient_leader",
            Response.org_code == Action.org_code,
        )
        .subquery()
    )
    rows = db.session.execute(
        select(answered.c.action_id, answered.c.happened, answered.c.difference, func.count())
        .group_by(answered.c.action_id, answered.c.happened, answered.c.difference)
        .order_by(answered.c.action_id)
    ).all()
    for action_id, happened, difference, n in rows:
        tally = counts[action_id]
        tally["n"] += int(n)
        if happened is not None:
            tally["happened"][happened] = tally["happened"].get(happened, 0) + int(n)
        if difference is not None:
            tally["difference"][difference] = tally["difference"].get(difference, 0) + int(n)
    k = disclosure.k_of(campaign)
    tallies: dict[tuple[str, int], dict[str, Any]] = {}
    for action_id, org_code in actions:
        tally = counts[action_id]
        before = (previous or {}).get(org_code, {}).get(str(action_id), {})
        # The rule (k, then differencing against the last shown n) is disclosure's alone.
        decided = disclosure.tally({}, tally["n"], k, int(before.get("ref_n") or 0))
        if decided.suppressed:
            tallies[(org_code, action_id)] = {
                **_suppressed(decided.reason or BELOW_MINIMUM),
                "ref_n": decided.ref_n,
            }
            continue
        tallies[(org_code, action_id)] = {
            "happened": {key: tally["happened"].get(key, 0) for key in PUBLISHED_HAPPENED},
            "difference": {key: tally["difference"].get(key, 0) for key in PUBLISHED_DIFFERENCE},
            "n": decided.n,
            "suppressed": False,
            "reason": None,
            "ref_n": decided.ref_n,
        }
    return tallies


def published_section(campaign: Campaign, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The verdicts as a publication of `campaign` freezes them: {organisation code:
    {action id: tally}} (JSON keys), stored beside each organisation's numbers."""
    section: dict[str, dict[str, Any]] = {}
    for (org_code, action_id), tally in _tallies(campaign, previous).items():
        section.setdefault(org_code, {})[str(action_id)] = tally
    return section


def verdicts_for_plan(
    campaign: Campaign, org_code: str, following: Campaign | None
) -> dict[int, dict[str, Any]] | None:
    """The verdicts on one organisation's plan after `campaign`, by action id, once the
    following campaign is published; None before."""
    if following is None or not is_published(following):
        return None
    frozen = results.published_section(following, SECTION, org_code) or {}
    return {
        int(action_id): {k: v for k, v in tally.items() if k != "ref_n"}
        for action_id, tally in frozen.items()
    }
