"""Issue 21 on the respondent pages: a blank survey is refused, the start page's page count
is the progress's, a lost session keeps the page's answers, and respondents see no board
navigation."""

from __future__ import annotations

import re

from assessor.survey.pages import survey_pages
from tests.survey.test_survey import (
    CSRF,
    _checked,
    _csrf,
    _page_answers,
    _post,
    _setup,
    _start_open,
    _stored,
    fresh_limiter,  # noqa: F401
)


def test_blank_survey_is_refused_with_an_error_summary_and_nothing_stored(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client)
    # only unscored questions answered: still nothing the scores can use
    _post(client, f"/r/{token}/7", {"change-one": "More meetings", "action": "continue"})
    resp = _post(client, f"/r/{token}/review")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "<title>Error: " in html and "There is a problem" in html
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    first = q.scored_items[0].link_id
    assert f'href="/r/{token}/1#{first}"' in summary
    assert "Answer at least one of the statements" in summary
    stored = _stored(db)
    assert stored.status == "in_progress" and stored.scores is None


def test_one_dont_know_is_enough_to_submit(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client)
    first = q.scored_items[0].link_id
    _post(client, f"/r/{token}/1", {first: "dont_know", "action": "continue"})
    resp = _post(client, f"/r/{token}/review")
    assert resp.headers["Location"] == "/done"
    assert _stored(db).status == "submitted"


def test_review_counts_the_answers_and_lists_what_is_unanswered(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client)
    answers = _page_answers(q, 1)
    _post(client, f"/r/{token}/1", {**answers, "action": "continue"})
    html = client.get(f"/r/{token}/review").get_data(as_text=True)
    asked = sum(len(p.shown(q, answers)) for p in survey_pages(q))
    assert f"You answered {len(answers)} of {asked} questions." in html
    pages = survey_pages(q)
    assert f'<a href="/r/{token}/1">' not in html.split("Not answered yet")[1].split("</ul>")[0]
    assert f'<a href="/r/{token}/2">{pages[1].title}</a>: {len(pages[1].items)} not answered' in (
        html
    )


def test_start_page_counts_the_pages_the_progress_counts(client, db) -> None:
    _, q = _setup(db)
    html = client.get("/s/c/A01/staff").get_data(as_text=True)
    total = len(survey_pages(q)) + 1
    assert f"{total} short pages" in html
    token = _start_open(client)
    assert f"Page 1 of {total}" in client.get(f"/r/{token}/1").get_data(as_text=True)


def test_lost_session_shows_the_page_answers_back_and_saves_nothing(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client)
    answers = _page_answers(q, 1, "disagree")
    with client.session_transaction() as s:
        s.clear()  # the browser lost its session cookie
    resp = client.post(f"/r/{token}/1", data={**answers, "csrf_token": CSRF, "action": "continue"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "have not been saved yet" in html and "session had expired" in html
    assert all(_checked(html, link_id) == "disagree" for link_id in answers)
    assert _stored(db).answers == {}
    # sending the page back (with the new form token it carries) now saves it
    new = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post(f"/r/{token}/1", data={**answers, "csrf_token": new, "action": "continue"})
    assert resp.status_code == 302
    assert _stored(db).answers == answers


def test_expired_review_form_says_the_answers_are_kept_and_links_back(client, db) -> None:
    _, q = _setup(db)
    token = _start_open(client)
    resp = client.post(f"/r/{token}/review", data={"csrf_token": "stale"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Your answers are kept" in html and f'href="/r/{token}/review"' in html


def test_respondent_pages_show_no_board_navigation(client, db) -> None:
    _setup(db)
    pages = [client.get("/s/c/A01/staff")]
    token = _start_open(client)
    pages += [client.get(f"/r/{token}/1"), client.get(f"/r/{token}/review")]
    for resp in pages:
        html = resp.get_data(as_text=True)
        assert 'href="/dashboards/"' not in html and ">Sign in<" not in html, resp.request.path
    home = client.get("/").get_data(as_text=True)
    assert ">Dashboards<" in home and ">Sign in<" in home
    _csrf(client)


def test_a_long_domain_is_cut_into_short_pages_in_its_order() -> None:
    """At most MAX_STATEMENTS statements a page (issue 21: v3's first page had been 10
    statements, 5,666 px on a phone): v3's domains of 10-13 become two parts each, in the
    questionnaire's order, every item on exactly one page; v2's domains of 5-6 keep one page
    each and their titles."""
    from assessor.survey.pages import MAX_STATEMENTS
    from tests.support.factories import _shipped_files

    shipped = {f.questionnaire.version: f.questionnaire for f in _shipped_files()}
    v2, v3 = shipped[2], shipped[3]
    assert [p.title for p in survey_pages(v2)][: len(v2.domains)] == [d.title for d in v2.domains]
    pages = survey_pages(v3)
    assert all(len(p.items) <= MAX_STATEMENTS for p in pages)
    assert [i.link_id for p in pages for i in p.items] == [
        i.link_id for d in v3.domains for i in v3.items if i.domain == d.key
    ] + [i.link_id for i in v3.items if i.domain is None]
    first = v3.domains[0]
    assert [p.title for p in pages[:2]] == [
        f"{first.title} (part 1 of 2)",
        f"{first.title} (part 2 of 2)",
    ]
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert len(pages) == 2 * len(v3.domains) + 1
