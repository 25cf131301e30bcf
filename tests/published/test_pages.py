"""The public results pages patient leaders use: finding an organisation without JavaScript,
its charts and one-sentence readings (every number the API's), the ICB family links, the
easy read page."""

from __future__ import annotations

import re

import pytest

from assessor import results
from assessor.published import finding
from assessor.results.schemas import ResultSchema
from assessor.web.presentation import number
from tests.support.factories import add_orgs, make_campaign, questionnaire
from tests.support.published_data import build_two_campaigns


@pytest.fixture()
def two_campaigns(db):  # type: ignore[no-untyped-def]
    return build_two_campaigns(db)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --------------------------------------------------------------------------- finding


def test_search_by_name_or_code_and_region_with_a_plain_get_form(client, two_campaigns) -> None:
    page = client.get("/results/spring").get_data(as_text=True)
    assert '<form class="filters search-form" method="get"' in page
    assert "All 3 organisations" in page
    assert 'href="/results/spring/A01"' in page and 'href="/results/spring/B01"' in page
    assert "QE1" not in page

    page = client.get("/results/spring?q=bolton").get_data(as_text=True)
    assert "1 organisation found" in page and 'href="/results/spring/B01"' in page
    assert 'href="/results/spring/A01"' not in page
    assert 'value="bolton"' in page

    page = client.get("/results/spring?q=a0").get_data(as_text=True)  # a code's start
    assert "2 organisations found" in page and "B01" not in page

    page = client.get("/results/spring?q=&region=North+West").get_data(as_text=True)
    assert "1 organisation found" in page and 'value="North West" selected' in page

    page = client.get("/results/spring?q=ncl&region=Nowhere").get_data(as_text=True)
    assert "No organisations found" in page

    # LIKE's wildcards are searched for as characters, not as patterns.
    assert "1 organisation found" in client.get("/results/spring?q=50%25_").get_data(as_text=True)
    assert "No organisations" in client.get("/results/spring?q=%25%25").get_data(as_text=True)


def test_search_pages_in_name_order(client, two_campaigns) -> None:
    found = finding.search(two_campaigns, "", None, page=2, per_page=2)
    assert (found.total, found.pages, found.page, found.first) == (3, 2, 2, 3)
    assert [r.code for r in found.rows] == ["A01"]  # Bolton, Camden, then North Central London
    assert finding.search(two_campaigns, "", None, page=99, per_page=2).page == 2
    page = client.get("/results/spring?page=x").get_data(as_text=True)
    assert "All 3 organisations" in page


def test_sub_icb_links_to_its_icb_and_back(client, two_campaigns) -> None:
    child = client.get("/results/spring/A02").get_data(as_text=True)
    assert 'Part of <a href="/results/spring/A01">NHS North Central London ICB</a>' in child
    parent = client.get("/results/spring/A01").get_data(as_text=True)
    assert "Its sub-ICB locations in this campaign" in parent
    assert 'href="/results/spring/A02"' in parent
    assert "QE1" not in parent  # a child outside the campaign is not listed


# --------------------------------------------------------------------------- seeing it


def test_organisation_page_charts_and_tables_show_the_apis_numbers(client, two_campaigns) -> None:
    view = results.read(two_campaigns)
    item = view.for_org("A01")
    api = ResultSchema().dump(item)
    regional = view.group("combined", "region", "London")
    national = view.group("combined", "national", "national")
    page = client.get("/results/spring/A01").get_data(as_text=True)

    table = re.search(r'<table class="levels">.*?</table>', page, flags=re.S).group(0)
    q = questionnaire(two_campaigns)
    for d in q.domains:
        measure = api["domains"][d.key]
        row = _text(re.search(rf"<tr>\s*<th scope=\"row\">{d.title}</th>.*?</tr>", table, re.S)[0])
        low, high = measure["ci95"]
        assert f"{number(measure['score'])} {number(low)} to {number(high)}" in row
        medians = [number(g.domains[d.key].median) for g in (regional, national)]
        assert row.endswith(" ".join(medians)), row

    svg = re.search(r'<svg class="chart".*?</svg>', page, flags=re.S).group(0)
    assert 'role="img"' in svg and "aria-label=" in svg
    assert svg.count("<circle") == len(q.domains) + 1  # one per area and one in the key
    assert "Median in London" in svg and "National median" in svg

    # The trend against the previous campaign, with the API's numbers.
    trend = re.search(r'<table class="trend">.*?</table>', page, flags=re.S).group(0)
    for key in api["trend"]["comparable_domains"]:
        t = api["trend"]["domains"][key]
        assert number(t["delta"], signed=True) in trend
    assert "Compared with Before, the rating went up in" in page


def test_readings_are_plain_sentences_from_the_numbers(client, two_campaigns) -> None:
    page = client.get("/results/spring/A01").get_data(as_text=True)
    item = results.read(two_campaigns).for_org("A01")
    gaps = [g.staff_minus_patient_leader for g in item.gap.domains.values()]
    less = sum(1 for g in gaps if round(g, 2) > 0)
    more = sum(1 for g in gaps if round(g, 2) < 0)
    if less >= more:
        expected = f"Patient leaders see less sharing of power than staff in {less} of"
    else:
        expected = f"Patient leaders see more sharing of power than staff in {more} of"
    assert expected in page
    assert re.search(r"Rated above the national median in \d of \d areas", page)


def test_suppressed_values_are_words_in_charts_and_tables(client, two_campaigns) -> None:
    page = client.get("/results/spring/B01").get_data(as_text=True)
    not_shown = "Not shown (fewer than 3 patient leaders responded)"
    svg = re.search(r'<svg class="chart".*?</svg>', page, flags=re.S).group(0)
    q = questionnaire(two_campaigns)
    assert _text(svg).count(not_shown) == len(q.domains)
    assert "<circle" in svg and svg.count("<circle") == 1  # only the key's
    assert "No area can be shown for this organisation" in page
    assert "Staff and patient leaders cannot be compared in any area" in page
    assert not re.search(r"Rating.*?\d\.\d\d", page, flags=re.S) or "Median" in page


def test_open_campaign_page_shows_no_chart(client, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    make_campaign("open-one", k=3)
    db.session.commit()
    page = client.get("/results/open-one/A01").get_data(as_text=True)
    assert "Results are published when the campaign closes" in page
    assert "<svg" not in page


def test_easy_read_page_is_linked_from_every_results_page(client, two_campaigns) -> None:
    for path in ("/results/spring", "/results/spring/A01", "/results/spring/B01"):
        assert 'href="/easy-read"' in client.get(path).get_data(as_text=True), path
    page = client.get("/easy-read").get_data(as_text=True)
    assert "<svg" in page and "<img" not in page


def test_api_reference_and_its_assets_are_served_by_the_app(client, db) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'lang="en-GB"' in body and 'data-spec="/api/openapi.json"' in body
    assert "<script>" not in body  # no inline script
    for src in re.findall(r'(?:src|href)="(/api/docs/[^"]+)"', body):
        assert client.get(src).status_code == 200, src
    assert "https://" not in body and "http://" not in body
    assert client.get("/api/docs/assets/index.html").status_code == 404
    assert client.get("/api/docs/assets/..%2Fpyproject.toml").status_code == 404


def test_easy_read_explains_the_ladder_one_idea_a_sentence(client, two_campaigns) -> None:
    page = client.get("/easy-read").get_data(as_text=True)
    main = page.split('<main id="main"')[1].split("</main>")[0]
    q = questionnaire(two_campaigns)
    for n, rung in enumerate(q.rungs, start=1):
        assert f"Step {n}: {rung.label}." in main
    assert "fewer than 5 people answered" in main
    sentences = [s for p in re.findall(r"<p>(.*?)</p>", main, flags=re.S) for s in [_text(p)]]
    assert sentences and all(len(s.split()) <= 15 for s in sentences), max(
        sentences, key=lambda s: len(s.split())
    )
    assert main.count("<svg") >= 10 and "<img" not in main and "http" not in main


# --------------------------------------------------------------------------- message first


def test_the_page_opens_with_one_sentence_in_words_before_any_number(client, two_campaigns) -> None:
    html = client.get("/results/spring/A01").get_data(as_text=True)
    main = html[html.index("<h1>") :]
    sentence = re.search(r'<p class="headline-sentence">(.*?)</p>', main).group(1)
    assert sentence.startswith("NHS North Central London ICB: Co-design.")
    assert "similar organisations" in sentence and "Patient leaders see" in sentence
    assert not re.search(r"\d\.\d", sentence)  # words, not scores
    assert "What &ldquo;Co-design&rdquo; means:" in main
    # the headline comes before every number and interval
    assert main.index('class="headline"') < main.index("95% interval")
    assert main.index('class="headline"') < main.index('class="rating"')
    assert "the interval excludes zero" not in html


def test_an_unrated_organisation_says_why_in_its_first_sentence(client, two_campaigns) -> None:
    html = client.get("/results/spring/B01").get_data(as_text=True)
    sentence = re.search(r'<p class="headline-sentence">(.*?)</p>', html).group(1)
    assert sentence.startswith("NHS Bolton: not rated (fewer than")


def test_level_zero_has_words_on_the_ladder(client, two_campaigns) -> None:
    html = client.get("/results/spring/A01").get_data(as_text=True)
    ladder = re.search(r'<ol start="0" class="ladder[^"]*">.*?</ol>', html, re.S).group(0)
    assert "<strong>Informing only</strong><span" in ladder and "are told about" in ladder
