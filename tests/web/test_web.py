"""The HTML layer: board sign-in, dashboards and the public results page.

Numbers are hand-computed from uniform answers (scoring.md section 2, threshold 0.75):
"agree" everywhere meets every rung, so a staff member scores 5; "neutral" everywhere meets
none, so a patient leader scores 0.5 / 0.75 = 0.667. Organisation A01 (three of each) is
rated (5 + 0.667) / 2 = 2.83, level 2 (Co-commissioning), gap 5 - 0.667 = +4.33, overall
and in every domain; with no spread, the 95% interval is the point itself. B01 has one
patient leader, below k = 3, so its rating and gap are suppressed.
"""

from __future__ import annotations

import re

import pytest

from assessor.auth.passwords import create_user
from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    set_window,
    submitted_yesterday,
    uniform_answers,
)

PASSWORD = "a long enough password"
NOT_SHOWN_PL = "Not shown (fewer than 3 patient leaders responded)"


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def _login(client, email: str, password: str = PASSWORD, **extra: str):
    """Sign in with a password, and with the second factor when one is asked for (an
    admin's: tests/auth/test_mfa.py tests that step itself)."""
    token = _token(client.get("/login").get_data(as_text=True))
    data = {"email": email, "password": password, "csrf_token": token, **extra}
    response = client.post("/login", data=data)
    if response.status_code == 302 and response.headers["Location"].startswith("/login/"):
        return second_factor(client, email, response.headers["Location"])
    return response


def second_factor(client, email: str, step: str):  # type: ignore[no-untyped-def]
    """Enrol an authenticator (read from the page), or give its code."""
    import pyotp

    from assessor.auth.passwords import find_user
    from assessor.extensions import db

    page = client.get(step).get_data(as_text=True)
    if step == "/login/enrol":
        found = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page)
        assert found, "no authenticator key on the enrolment page"
        secret = found.group(1)
    else:
        user = find_user(email)
        secret, user.totp_last_step = user.totp_secret, None  # a test signs in many times
        db.session.commit()
    data = {"code": pyotp.TOTP(secret).now(), "csrf_token": _token(page)}
    return client.post(step, data=data)


def _users(db) -> None:
    create_user("board@example.nhs.uk", "viewer", PASSWORD)
    create_user("admin@example.nhs.uk", "admin", PASSWORD)
    db.session.commit()


def _campaign(db, state: str = "open"):
    add_orgs(("A01", "London", "Urban"), ("B01", "North West", "Rural"))
    campaign = make_campaign("spring", state="open", k=3)
    q = questionnaire(campaign)
    agree, neutral = uniform_answers(q, "agree"), uniform_answers(q, "neutral")
    for _ in range(3):
        responses.submit(campaign, "A01", "staff", agree)
        responses.submit(campaign, "A01", "patient_leader", neutral)
        responses.submit(campaign, "B01", "staff", agree)
    responses.submit(campaign, "B01", "patient_leader", neutral)
    if state == "closed":
        set_window(campaign, "closed")
    db.session.commit()
    return campaign


def _row(html: str, code: str, table: str | None = None) -> str:
    """The table row of one organisation (in the table of chart `table` when given), tags
    removed."""
    if table is not None:
        html = re.search(rf'<section class="chart-block" id="{table}".*?</section>', html, re.S)[0]
    for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S):
        if f">{code}<" in row or f"({code})<" in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
    raise AssertionError(f"no row for {code}")


# --------------------------------------------------------------------------- signing in


def test_login_success_goes_to_dashboards_and_names_the_user(client, db) -> None:
    _users(db)
    response = _login(client, "Board@Example.nhs.uk")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboards/"
    page = client.get("/dashboards/").get_data(as_text=True)
    assert "board@example.nhs.uk" in page and "Sign out" in page and "Sign in<" not in page


def test_login_failure_says_the_same_thing_for_unknown_address_and_wrong_password(
    client, db
) -> None:
    _users(db)
    wrong = _login(client, "board@example.nhs.uk", "not the password at all")
    unknown = _login(client, "nobody@example.nhs.uk", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    pages = [r.get_data(as_text=True) for r in (wrong, unknown)]
    for page in pages:
        assert "<title>Error: Sign in" in page
        assert 'class="error-summary"' in page
        assert '<a href="#email">Enter a correct email address and password</a>' in page
        assert 'aria-describedby="email-error"' in page
        assert 'aria-describedby="password-error"' in page
        assert page.count("Enter a correct email address and password") == 3
        assert "not the password" not in page
    # Apart from the echoed address and the token, the two pages are identical.
    normalised = [
        re.sub(r'value="[^"]*"', 'value=""', p).replace("nobody@", "board@") for p in pages
    ]
    assert normalised[0] == normalised[1]
    assert client.get("/dashboards/").status_code == 302


def test_login_with_empty_fields_links_each_error_to_its_field(client, db) -> None:
    response = _login(client, "", "")
    page = response.get_data(as_text=True)
    assert '<a href="#email">Enter your email address</a>' in page
    assert '<a href="#password">Enter your password</a>' in page
    assert 'id="email-error"' in page and 'id="password-error"' in page


def test_login_without_the_csrf_token_is_rejected(client, db) -> None:
    _users(db)
    client.get("/login")
    for token in (None, "forged"):
        data = {"email": "board@example.nhs.uk", "password": PASSWORD}
        if token:
            data["csrf_token"] = token
        response = client.post("/login", data=data)
        assert response.status_code == 400
        assert "This form has expired" in response.get_data(as_text=True)
    assert client.get("/dashboards/").status_code == 302


def test_logout_is_a_csrf_checked_post(client, db) -> None:
    _users(db)
    _login(client, "board@example.nhs.uk")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={}).status_code == 400
    assert client.get("/dashboards/").status_code == 200
    token = _token(client.get("/dashboards/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "You have signed out." in client.get("/").get_data(as_text=True)
    assert client.get("/dashboards/").status_code == 302


def test_dashboards_require_login(client, db) -> None:
    _campaign(db)
    for path in ("/dashboards/", "/dashboards/spring"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "dashboards/spring",
        "/\tevil",
    ],
)
def test_unsafe_next_is_ignored(client, db, target: str) -> None:
    _users(db)
    response = _login(client, "board@example.nhs.uk", next=target)
    assert response.headers["Location"] == "/dashboards/"


def test_safe_next_is_followed(client, db) -> None:
    _users(db)
    _campaign(db)
    redirect = client.get("/dashboards/spring").headers["Location"]
    page = client.get(redirect).get_data(as_text=True)
    assert 'name="next" value="/dashboards/spring"' in page
    response = _login(client, "board@example.nhs.uk", next="/dashboards/spring")
    assert response.headers["Location"] == "/dashboards/spring"


# --------------------------------------------------------------------------- dashboards


def test_dashboard_index_lists_campaigns_with_response_counts(client, db) -> None:
    _users(db)
    submitted_yesterday(_campaign(db))  # counts are as at the end of the previous day
    db.session.commit()
    _login(client, "board@example.nhs.uk")
    row = _row(client.get("/dashboards/").get_data(as_text=True), "Spring")
    # B01's one patient leader is below k = 3: withheld, and not added into the total.
    assert row == "Spring Open Not published 2 6 3"


def test_open_campaign_shows_viewers_counts_only_and_admins_a_marked_preview(client, db) -> None:
    _users(db)
    submitted_yesterday(_campaign(db, "open"))  # counts are as at the end of the previous day
    db.session.commit()
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring").get_data(as_text=True)
    assert "Results are published when the campaign closes" in page
    assert "Preview" not in page and "2.83" not in page and "Co-commissioning" not in page
    assert 'type="application/json"' not in page  # no chart at all, counts only
    assert _row(page, "A01", "responses") == "NHS A01 (A01) London 3 Not known 3 Not known"
    org = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert "2.83" not in org and "+4.33" not in org and "3 staff and 3 patient leaders" in org

    client.post("/logout", data={"csrf_token": _token(page)})
    _login(client, "admin@example.nhs.uk")
    page = client.get("/dashboards/spring").get_data(as_text=True)
    assert "Preview: not published" in page
    # Every chart says it is a preview, in its heading, beside it and across the plot.
    assert page.count('<p class="preview-tag">') == 4
    assert len(re.findall(r'<h2 id="[a-z]+-title">PREVIEW, not published: ', page)) == 4
    # (two figures: with two organisations the funnel and ranked charts are tables alone)
    assert page.count("PREVIEW: NOT PUBLISHED") == page.count('type="application/json"') == 2
    assert _row(page, "A01", "ranked") == "NHS A01 (A01) 1 2.83 0.78 to 4.51 Co-commissioning"
    org = client.get("/dashboards/spring/A01").get_data(as_text=True)
    assert _row(org, "Overall", "gap") == "Overall +4.33 4.33 to 4.33 Yes"
    assert _row(org, "Overall", "trend") == "Overall No trend (no previous campaign)"


def test_suppressed_cells_show_words_not_numbers(client, db) -> None:
    _users(db)
    _campaign(db, "closed")
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring").get_data(as_text=True)
    assert "Preview" not in page
    assert _row(page, "B01", "funnel") == f"NHS B01 (B01) North West {NOT_SHOWN_PL}"
    assert _row(page, "B01", "ranked") == f"NHS B01 (B01) Not ranked {NOT_SHOWN_PL}"
    assert 'colspan="5" class="suppressed"' in page
    org = client.get("/dashboards/spring/B01").get_data(as_text=True)
    assert _row(org, "Overall", "gap") == f"Overall {NOT_SHOWN_PL}"
    assert _row(org, "Overall", "profile").startswith(f"Overall {NOT_SHOWN_PL}")
    assert "1 of 1 measures" not in org and "7 of 7 measures are suppressed" in org


def test_filters_by_region_and_labels_a_single_voice(client, db) -> None:
    _users(db)
    _campaign(db, "closed")
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?audience=staff&region=London").get_data(as_text=True)
    assert "Staff only (one voice&#39;s view, not the rating)" in page
    assert "B01" not in page
    assert _row(page, "A01", "ranked") == "NHS A01 (A01) 1 5.00 0.70 to 5.00 Co-assessment"
    page = client.get("/dashboards/spring?audience=bogus&region=Nowhere").get_data(as_text=True)
    assert "A01" in page and "B01" in page
    assert _row(page, "A01", "ranked").startswith("NHS A01 (A01) 1 2.83")


def test_unknown_campaign_dashboard_is_404(client, db) -> None:
    _users(db)
    _login(client, "board@example.nhs.uk")
    response = client.get("/dashboards/nope")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- public page


def test_public_page_shows_results_only_after_close(client, db) -> None:
    campaign = _campaign(db, "open")
    page = client.get("/results/spring/A01").get_data(as_text=True)
    assert "Results are published when the campaign closes" in page
    assert "3 from staff" in page and "3 from patient leaders" in page
    assert "2.83" not in page and "Co-commissioning" not in page

    set_window(campaign, "closed")
    db.session.commit()
    page = client.get("/results/spring/A01").get_data(as_text=True)
    assert "Results are published" not in page
    assert "<strong>Co-commissioning</strong>: score 2.83" in page
    assert "Staff minus patient leaders: +4.33" in page
    domains = re.search(r"<caption[^>]*>Levels by domain.*?</table>", page, flags=re.S).group(0)
    assert domains.count("<td>Co-commissioning</td>") == len(questionnaire(campaign).domains)

    page = client.get("/results/spring/B01").get_data(as_text=True)
    assert NOT_SHOWN_PL in page
    # None of B01's own numbers: the only figures are the national medians, here A01's alone.
    rating = page.split("<h2>Rating</h2>")[1].split('<h2 id="areas">')[0]
    assert not re.search(r"\d\.\d\d", rating)
    assert set(re.findall(r"\d\.\d\d", page)) == {"2.83"}


def test_public_page_is_404_for_unknown_campaign_or_organisation(client, db) -> None:
    _campaign(db)
    for path in ("/results/nope/A01", "/results/spring/ZZZ"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)


def test_landing_page_links_closed_campaigns(client, db) -> None:
    _campaign(db, "closed")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/dashboards/spring"' in page and 'href="/results/spring"' in page
    listing = client.get("/results/spring").get_data(as_text=True)
    assert 'href="/results/spring/A01"' in listing and 'href="/results/spring/B01"' in listing
