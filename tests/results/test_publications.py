"""Publications (scoring.md s.6): nothing ever shown can be differenced down to fewer than k
respondents. The three attacks of the publications issue are replayed through the API and
the command line exactly as an outsider and an administrator would; each recovered a
respondent's scores before publications existed (commit 8a5525f).

Respondent scores, every scored item answered alike (threshold 0.75): agree -> 5,
neutral -> 2/3, disagree -> 1/3.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event, select

from assessor import results
from assessor.auth.tokens import create_token
from assessor.models import Publication, Response, ResultsPreview
from assessor.responses import submission as responses
from assessor.results import publications
from assessor.results.reading import summary
from assessor.results.records import PublicationRef
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    set_window,
    uniform_answers,
)

K = 3


@pytest.fixture()
def token(db: Any) -> str:
    _, raw = create_token("outsider", ["results:read"], None)
    db.session.commit()
    return raw


def _item(client: Any, token: str, slug: str, code: str, audience: str) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/campaigns/{slug}/results/{code}?audience={audience}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _closed_campaign(db: Any, slug: str = "c", leaders: list[str] | None = None) -> Any:
    """One organisation: 3 staff (agree), 6 patient leaders (given options), closed."""
    add_orgs(("A01", "London", "Urban"), ("B02", "London", "Urban"))
    campaign = make_campaign(slug, k=K)
    q = questionnaire(campaign)
    for option in ["agree"] * 3:
        responses.submit(campaign, "A01", "staff", uniform_answers(q, option))
    for option in leaders or ["agree", "agree", "neutral", "neutral", "disagree", "agree"]:
        responses.submit(campaign, "A01", "patient_leader", uniform_answers(q, option))
    set_window(campaign, "closed")
    db.session.commit()
    return campaign


def _void_one(runner: Any, db: Any, campaign: Any, audience: str = "patient_leader") -> None:
    victim = db.session.scalars(
        select(Response)
        .where(
            Response.campaign_id == campaign.id,
            Response.audience == audience,
            Response.status == "submitted",
        )
        .order_by(Response.seq.desc())
    ).first()
    out = runner.invoke(args=["responses", "void", victim.id, "--reason", "test entry"])
    assert out.exit_code == 0, out.output


def test_attack_1_a_void_after_publication_changes_no_published_number(
    client, runner, db, token
) -> None:
    """Attack 1: 6 x before - 5 x after gave the voided person's scores."""
    campaign = _closed_campaign(db)
    before = _item(client, token, "c", "A01", "patient_leader")
    assert before["overall"]["n"] == 6
    assert before["publication"]["number"] == 1 and before["publication"]["reason"] is None

    _void_one(runner, db, campaign)
    after = _item(client, token, "c", "A01", "patient_leader")
    assert after == before
    listing = runner.invoke(args=["campaigns", "list"])
    assert "revision_pending" in listing.output and "publication 1" in listing.output


def test_attack_1_a_revision_withholds_what_one_to_k_minus_1_voids_would_reveal(
    client, runner, db, token
) -> None:
    campaign = _closed_campaign(db)
    _item(client, token, "c", "A01", "combined")
    _void_one(runner, db, campaign)

    out = runner.invoke(args=["results", "publish", "c", "--reason", "a test entry removed"])
    assert out.exit_code == 0, out.output
    assert "publication 2" in out.output

    leaders = _item(client, token, "c", "A01", "patient_leader")
    assert leaders["publication"]["number"] == 2
    assert leaders["publication"]["reason"] == "a test entry removed"
    for measure in [leaders["overall"], *leaders["domains"].values()]:
        assert measure["score"] is None and measure["n"] is None
        assert measure["reason"] == "revision_below_minimum"
    combined = _item(client, token, "c", "A01", "combined")
    assert combined["overall"]["reason"] == "revision_below_minimum"
    assert combined["gap"]["overall"]["reason"] == "revision_below_minimum"
    assert combined["gap"]["overall"]["staff_minus_patient_leader"] is None
    # The staff cell lost nobody: still shown, with the same numbers.
    staff = _item(client, token, "c", "A01", "staff")
    assert staff["overall"]["score"] == pytest.approx(5.0) and staff["overall"]["n"] == 3
    # Nothing of the withheld cell shows through the profiles either.
    profile = combined["profiles"]["patient_leader"]
    assert all(
        share["reason"] == "revision_below_minimum"
        for rungs in profile["rungs"].values()
        for share in rungs.values()
    )

    listed = client.get(
        "/api/v1/campaigns/c/publications", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert [(p["number"], p["reason"], p["organisations_revised"]) for p in listed["items"]] == [
        (1, None, 0),
        (2, "a test entry removed", 1),
    ]
    assert [p["rules"] for p in listed["items"]] == [2, 2]
    assert "revision_pending" not in runner.invoke(args=["campaigns", "list"]).output


def test_k_or_more_voids_are_published_normally(client, runner, db, token) -> None:
    campaign = _closed_campaign(db)
    _item(client, token, "c", "A01", "patient_leader")
    for _ in range(K):
        _void_one(runner, db, campaign)
    out = runner.invoke(args=["results", "publish", "c", "--reason", "three test entries"])
    assert out.exit_code == 0, out.output
    leaders = _item(client, token, "c", "A01", "patient_leader")
    # Left: agree, agree, neutral -> (5 + 5 + 2/3) / 3.
    assert leaders["overall"]["n"] == 3
    assert leaders["overall"]["score"] == pytest.approx((10 + 2 / 3) / 3)
    assert leaders["overall"]["reason"] is None


def test_a_withheld_measure_stays_withheld_until_k_have_left(client, runner, db, token) -> None:
    campaign = _closed_campaign(db)
    _item(client, token, "c", "A01", "patient_leader")
    _void_one(runner, db, campaign)
    runner.invoke(args=["results", "publish", "c", "--reason", "one"])
    _void_one(runner, db, campaign)
    runner.invoke(args=["results", "publish", "c", "--reason", "two"])
    # Two voided since publication 1, the last that showed the cell: still 1..k-1.
    assert _item(client, token, "c", "A01", "patient_leader")["overall"]["reason"] == (
        "revision_below_minimum"
    )
    _void_one(runner, db, campaign)
    runner.invoke(args=["results", "publish", "c", "--reason", "three"])
    shown = _item(client, token, "c", "A01", "patient_leader")["overall"]
    assert shown["reason"] is None and shown["n"] == 3


def test_attack_2_a_closed_campaign_is_never_reopened(client, runner, db, token) -> None:
    """Attack 2: reopen, take one late response, close again, subtract."""
    _closed_campaign(db)
    _item(client, token, "c", "A01", "patient_leader")
    out = runner.invoke(args=["campaigns", "open", "c"])
    assert out.exit_code != 0
    assert "never reopened" in out.output


def test_attack_3_a_follower_names_only_a_closed_previous_campaign(runner, db) -> None:
    """Attack 3: a follower's trend.before moved with each submission to an open previous."""
    add_orgs(("A01", "London", "Urban"))
    make_campaign("first", k=K)
    db.session.commit()
    out = runner.invoke(
        args=[
            "campaigns",
            "create",
            "second",
            "--title",
            "Second",
            "--questionnaire",
            "engagement-maturity:2",
            "--previous",
            "first",
        ]
    )
    assert out.exit_code != 0
    assert "must have closed" in out.output


def test_a_trend_reads_the_previous_campaign_as_at_its_latest_publication(
    client, runner, db, token
) -> None:
    first = _closed_campaign(db, "first")
    _item(client, token, "first", "A01", "combined")
    second = make_campaign("second", previous="first", k=K)
    q = questionnaire(second)
    for option in ["agree"] * 3:
        responses.submit(second, "A01", "staff", uniform_answers(q, option))
        responses.submit(second, "A01", "patient_leader", uniform_answers(q, option))
    set_window(second, "closed")
    db.session.commit()
    published = _item(client, token, "second", "A01", "patient_leader")["trend"]["overall"]
    # Previous leaders: agree x3, neutral x2, disagree -> (15 + 4/3 + 1/3) / 6.
    assert published["before"] == pytest.approx((15 + 5 / 3) / 6)

    _void_one(runner, db, first)  # voids the last leader (agree)
    runner.invoke(args=["results", "publish", "first", "--reason", "test entry"])
    # The follower's own publication does not move until it is republished, and then the
    # differencing rule withholds a trend whose baseline lost one respondent.
    again = _item(client, token, "second", "A01", "patient_leader")["trend"]["overall"]
    assert again == published
    out = runner.invoke(args=["results", "publish", "second", "--reason", "baseline revised"])
    assert out.exit_code == 0, out.output
    revised = _item(client, token, "second", "A01", "patient_leader")["trend"]["overall"]
    assert revised["before"] is None and revised["reason"] == "revision_below_minimum"


def test_in_progress_responses_are_deleted_at_close(runner, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=K)
    started, _ = responses.start(campaign, "A01", "staff")
    responses.save_answers(started, {"gov-1": "agree"}, ["gov-1"])
    db.session.commit()
    out = runner.invoke(args=["campaigns", "close", "c"])
    assert out.exit_code == 0, out.output
    assert db.session.scalars(select(Response).where(Response.status == "in_progress")).all() == []
    assert results.latest(campaign).number == 1


def test_a_rebuild_never_changes_a_publication(runner, db, client, token) -> None:
    _closed_campaign(db)
    _item(client, token, "c", "A01", "combined")
    stored = db.session.scalar(select(Publication.data))
    out = runner.invoke(args=["results", "rebuild", "c"])
    assert out.exit_code == 0, out.output
    db.session.expire_all()
    assert db.session.scalar(select(Publication.data)) == stored
    assert db.session.scalar(select(Publication.number)) == 1


def test_no_submission_writes_a_row_every_submission_writes(app, db) -> None:
    add_orgs(("A01", "London", "Urban"), ("B02", "London", "Urban"))
    campaign = make_campaign("c", k=K)
    q = questionnaire(campaign)
    db.session.commit()
    tables: set[str] = set()

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            tables.add(statement.split()[1].strip('"'))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        responses.submit(campaign, "A01", "staff", uniform_answers(q, "agree"))
        db.session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    db.session.rollback()
    assert tables == {"cell"}


def test_the_admin_preview_is_shared_and_recomputed_at_most_every_few_seconds(app, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=K)
    q = questionnaire(campaign)
    responses.submit(campaign, "A01", "staff", uniform_answers(q, "agree"))
    db.session.commit()
    app.config["PREVIEW_SECONDS"] = 60
    try:
        first = results.read(campaign, admin=True)
        db.session.commit()
        stored = db.session.scalar(select(ResultsPreview.computed_at))
        responses.submit(campaign, "A01", "staff", uniform_answers(q, "agree"))
        db.session.commit()
        again = results.read(campaign, admin=True)
        assert (
            again.response_totals()
            == first.response_totals()
            == {
                "staff": 1,
                "patient_leader": 0,
            }
        )
        assert db.session.scalar(select(ResultsPreview.computed_at)) == stored
    finally:
        app.config["PREVIEW_SECONDS"] = 0
    fresh = results.read(campaign, admin=True)
    assert fresh.response_totals()["staff"] == 2
    assert fresh.preview and fresh.publication is None


def test_profiles_on_hand_computed_numbers(client, db, token) -> None:
    """Rung profile: the share meeting each rung among those with an attainment there; answer
    profile: shares of don't know and does not happen here among those shown the item."""
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=K)
    q = questionnaire(campaign)
    first = q.scored_items[0]
    for option in ["agree", "agree", "neutral", "agree"]:
        answers = uniform_answers(q, option)
        responses.submit(campaign, "A01", "staff", answers)
    answers = uniform_answers(q, "agree")
    answers[first.link_id] = "dont_know"
    responses.submit(campaign, "A01", "staff", answers)
    set_window(campaign, "closed")
    db.session.commit()

    body = _item(client, token, "c", "A01", "staff")
    staff = body["profiles"]["staff"]
    item = staff["items"][first.link_id]
    assert item == {
        "dont_know": pytest.approx(1 / 5),
        "not_happening": 0.0,
        "n": 5,
        "suppressed": False,
        "reason": None,
    }
    # A rung evidenced by other items: 4 of 5 meet it (agree = 0.75), neutral does not.
    other = next(i for i in q.scored_items if i.domain != first.domain)
    rung = staff["rungs"][other.domain][other.rung]
    assert rung["met_share"] == pytest.approx(4 / 5) and rung["n"] == 5
    # The first item's rung has that one item: the "don't know" respondent has no
    # attainment there, so the denominator is 4, of whom 3 meet it.
    alone = [i for i in q.scored_items if (i.domain, i.rung) == (first.domain, first.rung)]
    assert len(alone) == 1
    rung = staff["rungs"][first.domain][first.rung]
    assert rung["met_share"] == pytest.approx(3 / 4) and rung["n"] == 4
    # Patient leaders: nobody, so every share is withheld below k.
    leaders = body["profiles"]["patient_leader"]["rungs"][first.domain][first.rung]
    assert leaders == {"met_share": None, "n": None, "suppressed": True, "reason": "below_minimum"}


@pytest.mark.real_commits
def test_a_rebuild_holds_no_lock_between_chunks_and_loses_nothing(app, db) -> None:
    """A response stored by another connection mid-rebuild (SQLite would refuse the write
    while the rebuild held its lock) is counted by the rebuild's final step."""
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", k=K)
    q = questionnaire(campaign)
    for option in ["agree", "neutral", "agree", "disagree", "agree"]:
        responses.submit(campaign, "A01", "staff", uniform_answers(q, option))
    db.session.commit()
    late = uniform_answers(q, "strongly_agree")
    inserted: list[int] = []

    def checkpoint() -> None:
        db.session.commit()
        if inserted:
            return
        with db.engine.begin() as other:
            result = other.execute(
                Response.__table__.insert().values(
                    id="late-response",
                    campaign_id=campaign.id,
                    org_code="A01",
                    audience="staff",
                    questionnaire_version_id=campaign.questionnaire_version_id,
                    answers=late,
                    status="submitted",
                )
            )
            inserted.append(result.inserted_primary_key[0])

    outcome = results.rebuild(campaign, chunk_size=2, checkpoint=checkpoint)
    db.session.commit()
    assert inserted and outcome["responses"] == 6
    staff = results.read(campaign, admin=True).for_org("A01", "staff")
    # agree 5, neutral 2/3, agree 5, disagree 1/3, agree 5, strongly agree 5.
    assert staff.overall.n == 6
    assert staff.overall.score == pytest.approx((20 + 2 / 3 + 1 / 3) / 6)


def test_a_list_of_campaigns_counts_without_decoding_a_publication_head(db) -> None:
    """The dashboard index reads one small array of each publication's head, so that it
    does not grow with the organisations' names and groups; an open campaign's counts come
    from its cells."""
    campaign = _closed_campaign(db)
    first = publications.publish_first(campaign)
    db.session.commit()
    publications.clear_cache()
    expected = (2, 3, 6, PublicationRef.of(first))
    found = summary(campaign)
    assert (found.organisations, found.staff, found.patient_leader, found.publication) == expected
    assert not publications._CACHE  # no head was decoded
    results.read(campaign)  # a reader decodes it; the list then uses the decoded one
    assert len(publications._CACHE) == 1
    assert summary(campaign) == found

    open_campaign = make_campaign("open", k=K)
    q = questionnaire(open_campaign)
    responses.submit(open_campaign, "B02", "staff", uniform_answers(q, "agree"))
    set_window(open_campaign, "open")
    found = summary(open_campaign, admin=True)
    counts = (found.organisations, found.staff, found.patient_leader, found.publication)
    assert counts == (2, 1, 0, None)
    # Everyone else: yesterday's counts, and only those of k or more (none here).
    found = summary(open_campaign)
    assert (found.organisations, found.staff, found.patient_leader) == (2, None, None)


def test_a_publication_head_is_read_without_decoding_every_organisation() -> None:
    """A cold reader of one organisation finds it through sorted codes and parses no list
    of every organisation's code, name, region or peer group; all come back exactly."""
    import numpy as np

    from assessor.results.snapshot import Snapshot

    meta = {
        "orgs": ["A01", "B02", "C03"],
        "names": ["A", "B", "C"],
        "regions": ["London", None, "London"],
        "peer_groups": ["Urban", "Rural", "Urban"],
    }
    stored = Snapshot(meta, {"responses": np.array([[1, 2], [3, 4], [5, 6]])}).head_to_bytes()
    assert stored.count(b"London") == 1 and stored.count(b"Urban") == 1
    read = Snapshot.from_bytes(stored)
    assert [read.index(code) for code in ("C03", "A01", "B02", "Z99")] == [2, 0, 1, None]
    assert [read.field(key, 1) for key in ("orgs", "names", "regions")] == ["B02", "B", None]
    assert not set(dict.keys(read.meta)) & {"orgs", "names", "regions"}  # nothing decoded yet
    assert read.meta["orgs"] == ["A01", "B02", "C03"] and read.meta["names"] == ["A", "B", "C"]
    assert read.meta["regions"] == ["London", None, "London"]
    assert read.meta["peer_groups"] == ["Urban", "Rural", "Urban"]
    assert read["responses"].tolist() == [[1, 2], [3, 4], [5, 6]]
    assert Snapshot.head_array(stored, "responses").tolist() == [[1, 2], [3, 4], [5, 6]]


def test_sections_are_stored_per_organisation_and_read_one_at_a_time(db, monkeypatch) -> None:
    """A feature's section (the action plans' verdicts grow with every action) is frozen
    beside each organisation's row: one organisation's page reads only its own part, and
    the next publication is given the whole section as frozen."""
    from assessor.models import PublicationRow

    add_orgs(("A01", "London", "Urban"), ("B02", "London", "Urban"))
    campaign = make_campaign("c", k=K, state="closed")
    given: list[Any] = []

    def section(c: Any, previous: Any) -> dict[str, Any]:
        given.append(previous)
        return {"A01": {"n": len(given)}}

    monkeypatch.setitem(publications.SECTIONS, "test", section)
    first = publications.publish_first(campaign)
    assert publications.published_section(campaign, "test", "A01") == {"n": 1}
    assert publications.published_section(campaign, "test", "B02") is None
    assert b"test" not in db.session.scalar(
        select(Publication.data).where(Publication.id == first.id)
    )
    stored = db.session.scalars(
        select(PublicationRow.sections).where(PublicationRow.publication_id == first.id)
    ).all()
    assert [json.loads(raw) for raw in stored if raw] == [{"test": {"n": 1}}]
    assert stored.count(None) == 1
    publications.publish(campaign, reason="again")
    assert given == [None, {"A01": {"n": 1}}]
    assert publications.published_section(campaign, "test", "A01") == {"n": 2}


def test_attack_a_followers_first_publication_keeps_a_withheld_baseline_withheld(
    client, runner, db, token
) -> None:
    """Issue 17, finding 1: E's revision withheld its patient leaders (one voided of six);
    a follower created afterwards showed `before` over the five left, so 6 x published(E) -
    5 x before gave the voided person's exact score. The baseline stays withheld."""
    first = _closed_campaign(db, "e")
    published = _item(client, token, "e", "A01", "patient_leader")["overall"]
    assert published["n"] == 6
    _void_one(runner, db, first)
    out = runner.invoke(args=["results", "publish", "e", "--reason", "test entry"])
    assert out.exit_code == 0, out.output
    assert _item(client, token, "e", "A01", "patient_leader")["overall"]["reason"] == (
        "revision_below_minimum"
    )

    follower = make_campaign("g", previous="e", k=K)
    q = questionnaire(follower)
    for option in ["agree"] * 3:
        responses.submit(follower, "A01", "staff", uniform_answers(q, option))
        responses.submit(follower, "A01", "patient_leader", uniform_answers(q, option))
    set_window(follower, "closed")
    db.session.commit()
    for audience in ("patient_leader", "combined"):
        trend = _item(client, token, "g", "A01", audience)["trend"]
        for measure in [trend["overall"], *trend["domains"].values()]:
            assert measure["before"] is None and measure["delta"] is None, audience
            assert measure["reason"] == "revision_below_minimum", audience
    # Staff lost nobody in E: their trend is shown.
    staff = _item(client, token, "g", "A01", "staff")["trend"]["overall"]
    assert staff["before"] == pytest.approx(5.0) and staff["reason"] is None


def test_a_republication_under_new_rules_says_so(client, runner, db, token, monkeypatch) -> None:
    """scoring.md s.6: publications keep the rules they were computed with (frozen
    snapshots); republishing uses the current rule set and says so in its reason."""
    _closed_campaign(db)
    first = _item(client, token, "c", "A01", "staff")
    assert first["scoring"]["rules"] == "2"
    monkeypatch.setattr(publications, "RULES", "3")  # as if the rules moved on
    out = runner.invoke(args=["results", "publish", "c", "--reason", "new rules"])
    assert out.exit_code == 0, out.output
    listed = client.get(
        "/api/v1/campaigns/c/publications", headers={"Authorization": f"Bearer {token}"}
    ).get_json()["items"]
    assert listed[0]["rules"] == 2 and listed[0]["reason"] is None
    assert listed[1]["reason"] == (
        "new rules (computed with rule set 3; publication 1 used rule set 2)"
    )
