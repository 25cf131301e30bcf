"""The respondent survey pages: open and invitation links, one page per domain, back and
forward without losing answers, follow-up questions without JavaScript, save and resume,
review, submission, and the rate limit on open links.

The shipped v2 questionnaire has six domains (pages 1-6) and four unscored items (page 7):
gov-attend (single choice), gov-attend-barriers (text, asked only when gov-attend is
"never"), change-one and comments (text). The review is page 8 of 8.
"""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from assessor.campaigns import invitations
from assessor.models import Invitation, Response
from assessor.survey.pages import survey_pages
from assessor.web.limits import limiter
from tests.support.factories import add_orgs, make_campaign, questionnaire, result_items, set_window

CSRF = "test-csrf-token"


@pytest.fixture(autouse=True)
def fresh_limiter(app):
    limiter.reset()
    yield
    limiter.reset()


def _setup(db, access: str = "open", state: str = "open"):
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", access=access, state=state)
    q = questionnaire(campaign)
    db.session.commit()
    return campaign, q


def _csrf(client) -> None:
    with client.session_transaction() as s:
        s["csrf_token"] = CSRF


def _post(client, url: str, data: dict[str, str] | None = None, **kwargs):
    return client.post(url, data={"csrf_token": CSRF, **(data or {})}, **kwargs)


def _start_open(client, audience: str = "staff") -> str:
    _csrf(client)
    resp = _post(client, f"/s/c/A01/{audience}")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    found = re.fullmatch(r"/r/([^/]+)/1", resp.headers["Location"])
    assert found, resp.headers["Location"]
    return found.group(1)


def _stored(db) -> Response:
    db.session.expire_all()
    return db.session.scalars(select(Response)).one()


def _checked(html: str, link_id: str) -> str | None:
    for tag in re.findall(rf'<input type="radio"[^>]*name="{re.escape(link_id)}"[^>]*>', html):
        if " checked" in tag:
            return re.search(r'value="([^"]+)"', tag).group(1)
    return None


def _page_answers(q, number: int, choice: str = "agree") -> dict[str, str]:
    page = survey_pages(q)[number - 1]
    return {item.link_id: choice for item in page.items if item.type == "agreement"}


# --------------------------------------------------------------------------- journey


def test_full_journey_through_every_page_to_confirmation(client, db) -> None:
    campaign, q = _setup(db)
    start = client.get("/s/c/A01/staff")
    html = start.get_data(as_text=True)
    assert start.status_code == 200
    assert "for <strong>staff</strong>" in html and "Don&rsquo;t know" in html
    assert 'href="/privacy"' in html and "minutes" in html
    token = _start_open(client)

    expected: dict[str, str] = {}
    for number in range(1, 7):
        html = client.get(f"/r/{token}/{number}").get_data(as_text=True)
        assert f"Page {number} of 8" in html
        assert f"<h1>{q.domains[number - 1].title}</h1>" in html
        assert f"<title>{q.domains[number - 1].title} (page {number} of 8)" in html
        choice = "agree" if number % 2 else "dont_know"
        answers = _page_answers(q, number, choice)
        expected.update(answers)
        resp = _post(client, f"/r/{token}/{number}", {**answers, "action": "continue"})
        assert resp.headers["Location"] == f"/r/{token}/{number + 1}"

    html = client.get(f"/r/{token}/7").get_data(as_text=True)
    assert "Page 7 of 8" in html and 'name="gov-attend-barriers"' not in html
    extra = {"gov-attend": "some_meetings", "change-one": "Pay patient leaders for their time"}
    expected.update(extra)
    resp = _post(client, f"/r/{token}/7", {**extra, "comments": "  ", "action": "continue"})
    assert resp.headers["Location"] == f"/r/{token}/review"

    review = client.get(f"/r/{token}/review").get_data(as_text=True)
    assert "Page 8 of 8" in review and "Pay patient leaders for their time" in review
    assert "Some meetings" in review and "Not answered" in review
    assert f'href="/r/{token}/3#{survey_pages(q)[2].items[0].link_id}"' in review
    assert review.count(">Change<") == len(expected) + 1  # comments: not answered

    done = _post(client, f"/r/{token}/review")
    assert done.headers["Location"] == "/done"
    page = client.get("/done").get_data(as_text=True)
    assert "cannot be changed" in page or "can no longer be changed" in page
    assert 'href="/methodology"' in page

    response = _stored(db)
    assert response.status == "submitted"
    assert response.answers == expected
    assert response.id not in page
    assert response.resume_token_hash is None
    item = result_items(campaign, "staff", admin=True)[0]
    assert item["responses"]["staff"] == 1


def test_back_keeps_answers_and_radios_are_rechecked(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client, "patient_leader")
    first = _page_answers(q, 1, "strongly_agree")
    _post(client, f"/r/{token}/1", {**first, "action": "continue"})
    second = _page_answers(q, 2, "disagree")
    resp = _post(client, f"/r/{token}/2", {**second, "action": "back"})
    assert resp.headers["Location"] == f"/r/{token}/1"
    html = client.get(f"/r/{token}/1").get_data(as_text=True)
    assert all(_checked(html, link_id) == "strongly_agree" for link_id in first)
    html = client.get(f"/r/{token}/2").get_data(as_text=True)
    assert all(_checked(html, link_id) == "disagree" for link_id in second)
    assert _stored(db).answers == {**first, **second}


def test_patient_leader_wording(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client, "patient_leader")
    html = client.get(f"/r/{token}/7").get_data(as_text=True)
    assert "did you or another patient leader attend" in html


def test_invalid_option_shows_error_summary_and_stores_nothing(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client)
    page = survey_pages(q)[0]
    bad, good = page.items[1].link_id, page.items[0].link_id
    resp = _post(client, f"/r/{token}/1", {good: "agree", bad: "maybe", "action": "continue"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "<title>Error: " in html
    summary = re.search(
        r'<div class="error-summary" role="alert" tabindex="-1".*?</div>', html, re.S
    )
    assert summary and f'href="#{bad}"' in summary.group(0)
    assert f'id="{bad}" name="{bad}" value="strongly_disagree"' in html
    assert f'aria-describedby="{bad}--error"' in html
    assert f'id="{bad}--error"' in html
    assert _stored(db).answers == {}


def test_page_structure_fieldsets_legends_hints(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client)
    html = client.get(f"/r/{token}/1").get_data(as_text=True)
    page = survey_pages(q)[0]
    assert html.count('<fieldset class="fieldset"') == len(page.items)
    assert html.count("<legend") == len(page.items)
    assert html.count('type="radio"') == 6 * len(page.items)
    assert html.count(">Don&#39;t know</label>") == len(page.items)
    assert '<progress max="8" value="1"' in html and 'name="csrf_token"' in html
    html = client.get(f"/r/{token}/7").get_data(as_text=True)
    # "comments" has help text, linked to its textarea.
    assert 'id="comments--hint"' in html and 'aria-describedby="comments--hint"' in html
    assert '<label class="question" for="comments">' in html


def test_follow_up_shown_only_when_its_condition_holds(client, db) -> None:
    _setup(db)
    token = _start_open(client)
    resp = _post(client, f"/r/{token}/7", {"gov-attend": "never", "action": "continue"})
    # The follow-up now applies: the same page again, pointing at it.
    assert resp.headers["Location"] == f"/r/{token}/7#gov-attend-barriers"
    html = client.get(f"/r/{token}/7").get_data(as_text=True)
    assert 'name="gov-attend-barriers"' in html
    form = {"gov-attend": "never", "gov-attend-barriers": "Meetings in work hours"}
    resp = _post(client, f"/r/{token}/7", {**form, "action": "continue"})
    assert resp.headers["Location"] == f"/r/{token}/review"
    assert "Meetings in work hours" in client.get(f"/r/{token}/review").get_data(as_text=True)

    _post(client, f"/r/{token}/7", {"gov-attend": "most_meetings", "action": "continue"})
    html = client.get(f"/r/{token}/7").get_data(as_text=True)
    assert 'name="gov-attend-barriers"' not in html
    assert "Meetings in work hours" not in client.get(f"/r/{token}/review").get_data(as_text=True)
    _post(client, f"/r/{token}/review")
    assert "gov-attend-barriers" not in _stored(db).answers


def test_save_and_resume_link_stops_working_after_submission(client, app, db) -> None:
    _, q = _setup(db)
    token = _start_open(client)
    answers = _page_answers(q, 2, "neutral")
    resp = _post(client, f"/r/{token}/2", {**answers, "action": "save"})
    assert resp.headers["Location"] == f"/r/{token}/2/saved"
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"http://localhost/r/{token}/2" in html
    assert "Anyone who has this link can see" in html

    other = app.test_client()  # another device: no cookies
    html = other.get(f"/r/{token}/2").get_data(as_text=True)
    assert all(_checked(html, link_id) == "neutral" for link_id in answers)

    _post(client, f"/r/{token}/review")
    gone = other.get(f"/r/{token}/2")
    assert gone.status_code == 404 and "This link is not valid" in gone.get_data(as_text=True)
    assert client.get(f"/r/{token}/review").status_code == 404
    assert client.get("/r/not-a-token/1").status_code == 404


def test_survey_pages_are_not_cached_and_send_no_referrer(client, db) -> None:
    _setup(db)
    token = _start_open(client)
    resp = client.get(f"/r/{token}/1")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


# --------------------------------------------------------------------------- invitations


@pytest.mark.real_commits  # a second client shares the test's session
def test_invitation_is_single_use_and_marked_only_at_completion(client, app, db) -> None:
    campaign, _ = _setup(db, access="invitation")
    raw = invitations.create_invitations(campaign, "A01", "patient_leader", 1)[0]
    db.session.commit()
    page = client.get(f"/i/{raw}")
    assert page.status_code == 200 and "patient leaders" in page.get_data(as_text=True)
    _csrf(client)
    first = _post(client, f"/i/{raw}").headers["Location"].split("/")[2]
    # A second start in another browser before the first finishes.
    other = app.test_client()
    with other.session_transaction() as s:
        s["csrf_token"] = CSRF
    second = _post(other, f"/i/{raw}").headers["Location"].split("/")[2]
    db.session.expire_all()
    assert db.session.scalars(select(Invitation)).one().used_at is None  # not at start

    _post(client, f"/r/{first}/1", {"gov-1": "agree", "action": "continue"})
    assert _post(client, f"/r/{first}/review").headers["Location"] == "/done"
    db.session.expire_all()
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.used_at is not None
    assert (invitation.used_at.hour, invitation.used_at.minute) == (0, 0)  # the day only

    refused = _post(other, f"/r/{second}/review")
    assert refused.status_code == 404
    assert "already been used or is not valid" in refused.get_data(as_text=True)
    rows = {r.status: r for r in db.session.scalars(select(Response))}
    assert sorted(rows) == ["in_progress", "submitted"]
    # The submitted response keeps no link to the invitation it came from.
    assert rows["submitted"].invitation_id is None
    assert rows["in_progress"].invitation_id == invitation.id
    assert client.get(f"/i/{raw}").status_code == 404
    assert "already been used" in client.get("/i/unknown").get_data(as_text=True)

    # Nothing in the database ties the invitation to the response.
    response = db.session.scalars(select(Response).where(Response.status == "submitted")).one()
    row = {c.name: getattr(response, c.name) for c in Response.__table__.columns}
    assert invitations.hash_token(raw) not in str(row) and raw not in str(row)
    assert set(Invitation.__table__.columns.keys()) == {
        "id",
        "campaign_id",
        "org_code",
        "audience",
        "token_hash",
        "created_at",
        "used_at",
    }
    assert (
        result_items(campaign, "patient_leader", admin=True)[0]["responses"]["patient_leader"] == 1
    )


def test_invitation_finished_on_another_device_still_uses_it(client, app, db) -> None:
    campaign, _ = _setup(db, access="invitation")
    raw = invitations.create_invitations(campaign, "A01", "staff", 1)[0]
    db.session.commit()
    _csrf(client)
    token = _post(client, f"/i/{raw}").headers["Location"].split("/")[2]
    other = app.test_client()
    with other.session_transaction() as s:
        s["csrf_token"] = CSRF
    _post(other, f"/r/{token}/1", {"gov-1": "agree", "action": "continue"})
    assert _post(other, f"/r/{token}/review").headers["Location"] == "/done"
    db.session.expire_all()
    assert db.session.scalars(select(Invitation)).one().used_at is not None
    assert _stored(db).status == "submitted"


def test_open_link_refused_for_invitation_only_campaign(client, db) -> None:
    _setup(db, access="invitation")
    resp = client.get("/s/c/A01/staff")
    assert resp.status_code == 403 and "by invitation only" in resp.get_data(as_text=True)
    _csrf(client)
    assert _post(client, "/s/c/A01/staff").status_code == 403
    assert db.session.scalars(select(Response)).all() == []


def test_unknown_campaign_org_or_audience_is_not_found(client, db) -> None:
    _setup(db)
    for url in ("/s/nope/A01/staff", "/s/c/ZZZ/staff", "/s/c/A01/public"):
        assert client.get(url).status_code == 404, url


def test_closed_campaign(client, db) -> None:
    campaign, q = _setup(db)
    token = _start_open(client)
    set_window(campaign, "closed", publish=False)  # closed by its date, not yet published
    db.session.commit()
    for resp in (
        client.get("/s/c/A01/staff"),
        client.get(f"/r/{token}/1"),
        _post(client, f"/r/{token}/1", {**_page_answers(q, 1), "action": "continue"}),
        _post(client, f"/r/{token}/review"),
    ):
        assert resp.status_code == 410
        assert "This survey has closed" in resp.get_data(as_text=True)
    response = _stored(db)
    assert response.status == "in_progress" and response.answers == {}


def test_csrf_is_required(client, db) -> None:
    _setup(db)
    resp = client.post("/s/c/A01/staff", data={})
    assert resp.status_code == 400 and "did not work" in resp.get_data(as_text=True)


def test_landing_page_lists_no_survey_links(client, db) -> None:
    _setup(db)
    html = client.get("/").get_data(as_text=True)
    assert "Taking part" in html and "/s/c/" not in html


# --------------------------------------------------------------------------- rate limit


def test_open_link_starts_are_rate_limited_per_address(client, app, db, monkeypatch) -> None:
    _setup(db)
    monkeypatch.setitem(app.config, "SURVEY_STARTS_PER_HOUR", 2)
    _csrf(client)
    addr = {"REMOTE_ADDR": "192.0.2.7"}
    assert _post(client, "/s/c/A01/staff", environ_base=addr).status_code == 302
    assert _post(client, "/s/c/A01/staff", environ_base=addr).status_code == 302
    blocked = _post(client, "/s/c/A01/staff", environ_base=addr)
    assert blocked.status_code == 429
    assert "Too many surveys started" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) > 0
    other = {"REMOTE_ADDR": "192.0.2.8"}
    assert _post(client, "/s/c/A01/staff", environ_base=other).status_code == 302
    # The start page itself is never limited, and nothing about the client is stored.
    assert client.get("/s/c/A01/staff", environ_base=addr).status_code == 200
    assert len(db.session.scalars(select(Response)).all()) == 3


def test_invitations_are_limited_separately_and_generously(client, app, db, monkeypatch) -> None:
    campaign, _ = _setup(db, access="invitation")
    raws = invitations.create_invitations(campaign, "A01", "staff", 2)
    db.session.commit()
    monkeypatch.setitem(app.config, "SURVEY_STARTS_PER_HOUR", 1)
    monkeypatch.setitem(app.config, "INVITATION_LIMIT", "5 per hour")
    _csrf(client)
    for raw in raws + raws:
        assert _post(client, f"/i/{raw}").status_code == 302
    assert client.get(f"/i/{raws[0]}").status_code == 200
    blocked = client.get("/i/guessed-token")
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.get_data(as_text=True)


@pytest.mark.real_commits
def test_double_submit_counts_once(client, app, db) -> None:
    """Two Submit requests racing (a double click) complete and count the response once."""
    campaign, q = _setup(db)
    token = _start_open(client)
    _post(client, f"/r/{token}/1", {**_page_answers(q, 1), "action": "continue"})
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def submit() -> None:
        other = app.test_client()
        with other.session_transaction() as s:
            s["csrf_token"] = CSRF
        barrier.wait()
        statuses.append(_post(other, f"/r/{token}/review").status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [302, 404]
    item = result_items(campaign, "staff", admin=True)[0]
    assert item["responses"]["staff"] == 1


# --------------------------------------------------------------------------- version 3


def test_v3_offers_does_not_happen_apart_from_the_scale_and_counts_it_as_0(client, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", version=3)
    q = questionnaire(campaign)
    db.session.commit()
    token = _start_open(client, "patient_leader")
    html = client.get(f"/r/{token}/1").get_data(as_text=True)
    page = survey_pages(q)[0]
    # 7 answers on an agreement item, 4 on a fact item (yes, partly, no, don't know)
    assert html.count('type="radio"') == sum(
        7 if item.type == "agreement" else 4 for item in page.items
    )
    assert "answer yes, partly or no" in html
    # After the scale and "Don't know", an "or", then "This does not happen here".
    block = html[html.index('name="gov-1"') :]
    block = block[: block.index("</fieldset>")]
    assert block.index("Don&#39;t know") < block.index(">or<") < block.index("does not happen")
    assert 'id="gov-1--not_happening" name="gov-1" value="not_happening"' in html
    assert "if you know that it does not happen" in html

    answers = {item.link_id: item.nearest_answer("not_happening") for item in page.items}
    resp = _post(client, f"/r/{token}/1", {**answers, "action": "continue"})
    assert resp.status_code == 302
    assert _checked(client.get(f"/r/{token}/1").get_data(as_text=True), "gov-1") == (
        "not_happening"
    )
    stored = _stored(db)
    assert stored.answers == answers
    review = client.get(f"/r/{token}/review").get_data(as_text=True)
    assert "This does not happen here" in review


def test_v2_pages_do_not_offer_it(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client)
    html = client.get(f"/r/{token}/1").get_data(as_text=True)
    assert "not_happening" not in html and "does not happen" not in html
    resp = _post(client, f"/r/{token}/1", {"gov-1": "not_happening", "action": "continue"})
    assert resp.status_code == 400
    assert _stored(db).answers == {}
