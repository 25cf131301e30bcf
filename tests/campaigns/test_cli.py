"""`assessor campaigns create|open|close|list|eligible` and the campaign rules behind them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessor.models import Campaign, CampaignOrganisation, Cell, Organisation
from tests.support.factories import add_orgs, publish_shipped


def test_create_records_open_organisations_with_their_groups(runner, db) -> None:
    publish_shipped()
    add_orgs(("A01", "London", "Urban"), ("B02", "Midlands", "Rural"))
    closed = Organisation(
        code="Z99", name="Closed", kind="ccg", region="London", peer_group="Urban", closed=True
    )
    db.session.add(closed)
    db.session.commit()

    out = runner.invoke(
        args=[
            "campaigns",
            "create",
            "spring",
            "--title",
            "Spring",
            "--questionnaire",
            "engagement-maturity:2",
            "--access",
            "open",
        ]
    )
    assert out.exit_code == 0, out.output
    assert "2 organisations" in out.output and "k=5" in out.output
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "spring"))
    assert campaign.status == "scheduled" and campaign.min_respondents == 5
    members = db.session.scalars(select(CampaignOrganisation)).all()
    assert {(m.org_code, m.region, m.peer_group) for m in members} == {
        ("A01", "London", "Urban"),
        ("B02", "Midlands", "Rural"),
    }
    # Moving an organisation later does not move it in the campaign.
    db.session.get(Organisation, "A01").region = "South East"
    db.session.commit()
    assert db.session.get(CampaignOrganisation, (campaign.id, "A01")).region == "London"
    assert db.session.scalar(select(Cell).where(Cell.org_code == "A01")) is not None

    assert runner.invoke(args=["campaigns", "open", "spring"]).exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(select(Campaign)).status == "open"
    out = runner.invoke(args=["campaigns", "eligible", "spring", "A01", "staff", "40"])
    assert out.exit_code == 0, out.output
    db.session.expire_all()
    assert db.session.get(CampaignOrganisation, (campaign.id, "A01")).eligible_staff == 40
    assert runner.invoke(args=["campaigns", "close", "spring"]).exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(select(Campaign)).status == "closed"
    listing = runner.invoke(args=["campaigns", "list"])
    assert "spring" in listing.output and "closed" in listing.output


def test_create_errors_name_the_argument_and_store_nothing(runner, db) -> None:
    publish_shipped()
    add_orgs(("A01", "London", "Urban"))
    db.session.commit()
    cases = [
        (["--questionnaire", "engagement-maturity:9"], "engagement-maturity v9"),
        (["--questionnaire", "engagement-maturity"], "KEY:VERSION"),
        (["--questionnaire", "engagement-maturity:2", "--previous", "nope"], "'nope'"),
        (["--questionnaire", "engagement-maturity:2", "--opens", "tomorrow"], "ISO 8601"),
    ]
    for extra, message in cases:
        out = runner.invoke(args=["campaigns", "create", "bad", "--title", "Bad", *extra])
        assert out.exit_code != 0
        assert message in out.output, out.output
    assert db.session.scalar(select(Campaign)) is None
    out = runner.invoke(args=["campaigns", "eligible", "bad", "A01", "staff", "3"])
    assert out.exit_code != 0 and "'bad' does not exist" in out.output


def test_min_respondents_comes_from_the_setting_and_has_a_floor(app, db) -> None:
    from assessor.campaigns import service as campaigns
    from assessor.config import min_respondents_from

    publish_shipped()
    add_orgs(("A01", "London", "Urban"))
    app.config["MIN_RESPONDENTS"] = 7
    try:
        c = campaigns.create_campaign("k7", "K7", "engagement-maturity", 2)
    finally:
        app.config["MIN_RESPONDENTS"] = 5
    assert c.min_respondents == 7
    assert min_respondents_from(None) == 5
    for bad in ("2", "4", "x"):  # never below 5 (rule set 2)
        try:
            min_respondents_from(bad)
        except ValueError as exc:
            assert "MIN_RESPONDENTS" in str(exc)
        else:
            raise AssertionError(f"{bad} accepted")
    app.config["TESTING"] = False  # the service itself, without the test suite's floor
    try:
        with pytest.raises(campaigns.CampaignError, match="at least 5, not 4"):
            campaigns.create_campaign("k4", "K4", "engagement-maturity", 2, min_respondents=4)
    finally:
        app.config["TESTING"] = True
