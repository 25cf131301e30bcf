"""Contact lists: every row checked, errors by line, nothing stored from a bad file, and
duplicates within a campaign merged."""

from __future__ import annotations

from sqlalchemy import func, select

from assessor.campaigns.contacts import uk_mobile
from assessor.models import Contact
from tests.support.factories import add_orgs, make_campaign


def _campaign(db):  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"), ("B02", "Midlands", "Rural"))
    campaign = make_campaign("c", access="invitation")
    db.session.commit()
    return campaign


def _count(db) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(Contact)) or 0


def test_uk_mobile_numbers_are_normalised_and_others_refused() -> None:
    assert uk_mobile("07700 900123") == "+447700900123"
    assert uk_mobile("+44 (0)7700-900123") is None  # the (0) is not a mobile's digit
    assert uk_mobile("+447700900123") == "+447700900123"
    assert uk_mobile("447700900123") == "+447700900123"
    assert uk_mobile("020 7946 0000") is None
    assert uk_mobile("0770090012") is None


def test_a_bad_file_reports_every_bad_row_by_line_and_stores_nothing(runner, db, tmp_path):
    _campaign(db)
    path = tmp_path / "contacts.csv"
    path.write_text(
        "org_code,audience,email,mobile\n"
        "A01,staff,ann@example.nhs.uk,\n"
        "Z99,staff,bob@example.nhs.uk,\n"
        "A01,board,cat@example.nhs.uk,\n"
        "A01,staff,not-an-address,\n"
        "A01,patient_leader,,020 7946 0000\n"
        "B02,staff,,\n"
        "B02,staff,ann@example.nhs.uk,\n"
    )
    out = runner.invoke(args=["contacts", "import", "c", str(path)])
    assert out.exit_code == 1
    lines = out.output.splitlines()
    assert lines[:-1] == [
        "line 3: organisation 'Z99' is not in this campaign",
        "line 4: audience must be staff or patient_leader, not 'board'",
        "line 5: 'not-an-address' is not an email address",
        "line 6: '020 7946 0000' is not a UK mobile number",
        "line 7: give an email address or a mobile number",
        "line 8: ann@example.nhs.uk is on line 2 for another organisation or audience",
    ]
    assert "6 problem(s); nothing was imported" in lines[-1]
    assert _count(db) == 0


def test_duplicates_are_merged_in_the_file_and_with_what_is_stored(runner, db, tmp_path):
    campaign = _campaign(db)
    first = tmp_path / "first.csv"
    first.write_text(
        "org_code,audience,email,mobile\n"
        "A01,staff,Ann@Example.nhs.uk,\n"
        "a01,staff,ann@example.nhs.uk,07700 900123\n"
        "B02,patient_leader,,07700900999\n"
    )
    out = runner.invoke(args=["contacts", "import", "c", str(first)])
    assert out.exit_code == 0, out.output
    assert out.output == "2 contact(s) added, 1 duplicate(s) merged, from 3 row(s)\n"
    second = tmp_path / "second.csv"
    second.write_text(
        "org_code,audience,email,mobile\n"
        "B02,patient_leader,pat@example.org,+447700900999\n"
        "A01,staff,dan@example.nhs.uk,\n"
    )
    out = runner.invoke(args=["contacts", "import", "c", str(second)])
    assert out.exit_code == 0, out.output
    assert out.output == "1 contact(s) added, 1 duplicate(s) merged, from 2 row(s)\n"
    stored = db.session.execute(
        select(Contact.org_code, Contact.audience, Contact.email, Contact.mobile)
        .where(Contact.campaign_id == campaign.id)
        .order_by(Contact.id)
    ).all()
    assert [tuple(r) for r in stored] == [
        ("A01", "staff", "ann@example.nhs.uk", "+447700900123"),
        ("B02", "patient_leader", "pat@example.org", "+447700900999"),
        ("A01", "staff", "dan@example.nhs.uk", None),
    ]
    clash = tmp_path / "clash.csv"
    clash.write_text("org_code,audience,email,mobile\nB02,staff,dan@example.nhs.uk,\n")
    out = runner.invoke(args=["contacts", "import", "c", str(clash)])
    assert out.exit_code == 1
    assert "line 2: dan@example.nhs.uk is on a contact already stored" in out.output
    assert _count(db) == 3


def test_a_file_with_other_columns_is_refused(runner, db, tmp_path):
    _campaign(db)
    path = tmp_path / "contacts.csv"
    path.write_text("email,org_code\nann@example.nhs.uk,A01\n")
    out = runner.invoke(args=["contacts", "import", "c", str(path)])
    assert out.exit_code == 1
    assert "line 1: the columns must be org_code,audience,email,mobile" in out.output
