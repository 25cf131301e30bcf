"""The start page and the methodology page say who a patient leader is, and read plainly
(Flesch reading ease of 60 or more, as GOV.UK's reading age of about 9 asks)."""

from __future__ import annotations

import html as html_lib
import re

from assessor.questionnaires.readability import reading_ease
from tests.support.factories import add_orgs, make_campaign, publish_shipped, questionnaire

BLOCK_END = re.compile(r"</(h[1-6]|p|li|dt|dd|button|label|legend|th|td)>", re.IGNORECASE)


def main_text(page: str) -> str:
    """The words of a page's <main>, as a reader meets them: each heading, paragraph and
    list item is its own unit, so ends with a full stop when it has no mark of its own."""
    body = page[page.index("<main") : page.index("</main>")]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S | re.I)
    body = BLOCK_END.sub(" \x00 ", body)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", body))
    units = [" ".join(unit.split()) for unit in text.split("\x00")]
    return " ".join(u if u[-1] in ".!?:" else f"{u}." for u in units if u)


def test_main_text_ends_each_block_as_a_sentence() -> None:
    page = "<main><h1>Title</h1><p>One &amp; two.</p><ul><li>Item</li></ul></main>"
    assert main_text(page) == "Title. One & two. Item."


def test_start_page_defines_a_patient_leader_and_reads_plainly(client, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", version=3)
    q = questionnaire(campaign)
    db.session.commit()
    page = client.get("/s/c/A01/staff").get_data(as_text=True)
    text = main_text(page)
    assert "Who is a patient leader?" in text
    assert q.definitions["patient_leader"] in text
    assert "This does not happen here" in text
    assert reading_ease(text) >= 60, reading_ease(text)


def test_start_page_of_an_older_version_has_no_definition_to_show(client, db) -> None:
    add_orgs(("A01", "London", "Urban"))
    make_campaign("c", version=2)
    db.session.commit()
    text = main_text(client.get("/s/c/A01/staff").get_data(as_text=True))
    assert "Who is a patient leader?" not in text
    assert "This does not happen here" not in text


def test_methodology_page_explains_what_readers_need_and_reads_plainly(client, db) -> None:
    publish_shipped()
    db.session.commit()
    page = client.get("/methodology").get_data(as_text=True)
    text = main_text(page)
    q3_definition = "A patient leader is someone who uses health or care services"
    assert q3_definition in text and "Carers can be patient leaders" in text
    # which way the gap runs
    assert "A gap above 0 means staff rate the organisation higher than patient leaders" in text
    # how "don't know" and "does not happen here" count
    assert '"Don\'t know" is never counted as a low score. It is left out' in text
    assert '"This does not happen here" counts as 0' in text
    # perception, not an audit
    assert "They are not an audit" in text
    # what the principles mapping is for
    assert "ten principles for working with people and communities (2022)" in text
    assert "annual report" in text and "never change a score" in text
    assert text.count("Work with Healthwatch") == 1  # the principles are listed
    assert reading_ease(text) >= 60, reading_ease(text)
