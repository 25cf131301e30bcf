"""`assessor orgs import|list` and the importing service, on both layouts."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assessor.extensions import db as _db
from assessor.models import Organisation
from assessor.organisations.cli import orgs
from assessor.organisations.importing import (
    ImportFailed,
    import_organisations,
    read_organisations,
)

DATA = Path(__file__).resolve().parents[1] / "data"
ECCG = DATA / "eccg.csv"
HEADER = "code,name,kind,region,peer_group,parent_code\n"


def _org(code: str) -> Organisation:
    org = _db.session.get(Organisation, code)
    assert org is not None, code
    return org


def _count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Organisation))


def _ods_row(**changes: str) -> list[str]:
    """A valid 27-column eccg.csv row, with some columns changed by name."""
    row = ["99X", "NHS TEST ICB - 99X", "Y56", "QMJ"] + ["ADDRESS"] * 5 + ["N1 1TH"]
    row += ["20130401", ""] + [""] * 15
    columns = {"code": 0, "name": 1, "grouping": 2, "geography": 3, "opened": 10, "closed": 11}
    for key, value in changes.items():
        row[columns[key]] = value
    return row


def _write_ods(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


def test_ods_layout_via_cli(runner, db) -> None:
    result = runner.invoke(orgs, ["import", str(ECCG)])
    assert result.exit_code == 0, result.output
    assert "10 created, 0 updated, 0 unchanged, 1 closed" in result.output
    assert _count() == 10

    regions = {code: _org(code).region for code in ("93C", "15N", "09D", "15E", "06L", "01A")}
    assert regions == {
        "93C": "London",
        "15N": "South West",
        "09D": "South East",
        "15E": "Midlands",
        "06L": "East of England",
        "01A": "North West",
    }
    assert _org("00L").region == "North East and Yorkshire"
    hub = _org("13Q")
    assert (hub.region, hub.peer_group, hub.parent_code) == ("Y99", "Y99", "Q99")

    northumberland = _org("00L")
    assert northumberland.name == "NHS NORTH EAST AND NORTH CUMBRIA ICB - 00L"
    assert northumberland.kind == "sub_icb"
    assert northumberland.parent_code == "QHM"
    assert northumberland.peer_group == "North East and Yorkshire"
    assert northumberland.opened_on == date(2013, 4, 1)
    assert (northumberland.closed, northumberland.closed_on) == (False, None)

    darlington = _org("00C")
    assert darlington.kind == "ccg"
    assert (darlington.closed, darlington.closed_on) == (True, date(2020, 3, 31))
    assert hub.kind == "ccg"


def test_peer_groups_file(runner, db, tmp_path: Path) -> None:
    peers = tmp_path / "peers.csv"
    peers.write_text("code,peer_group\n00L,Rural\n93C,Urban\n")
    result = runner.invoke(orgs, ["import", str(ECCG), "--peer-groups", str(peers)])
    assert result.exit_code == 0, result.output
    assert _org("00L").peer_group == "Rural"
    assert _org("93C").peer_group == "Urban"
    assert _org("00N").peer_group == "North East and Yorkshire"


def test_reimport_updates_and_keeps_peer_groups(runner, db, tmp_path: Path) -> None:
    peers = tmp_path / "peers.csv"
    peers.write_text("code,peer_group\n00L,Rural\n")
    assert runner.invoke(orgs, ["import", str(ECCG), "--peer-groups", str(peers)]).exit_code == 0

    rows = list(csv.reader(ECCG.open(newline="")))
    rows[0][1] = "NHS NORTH EAST AND NORTH CUMBRIA ICB - 00L RENAMED"  # 00L renamed
    rows[1][11] = "20220630"  # 00N closes
    rows.append(_ods_row(code="99X"))  # a new one
    changed = _write_ods(tmp_path / "eccg.csv", rows)

    result = runner.invoke(orgs, ["import", str(changed)])
    assert result.exit_code == 0, result.output
    assert "1 created, 2 updated, 8 unchanged, 2 closed" in result.output
    assert _count() == 11
    renamed = _org("00L")
    assert renamed.name.endswith("RENAMED")
    assert renamed.peer_group == "Rural"  # kept: no peer-groups file this time
    assert (_org("00N").closed, _org("00N").closed_on) == (True, date(2022, 6, 30))


def test_future_close_date_is_recorded_but_not_yet_closed(db, tmp_path: Path) -> None:
    path = _write_ods(tmp_path / "eccg.csv", [_ods_row(closed="20300331")])
    summary = import_organisations(path, today=date(2026, 1, 1))
    assert summary.closed == 0
    org = _org("99X")
    assert (org.closed, org.closed_on) == (False, date(2030, 3, 31))
    import_organisations(path, today=date(2030, 3, 31))
    assert _org("99X").closed is True


def test_headed_layout_via_service(db, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text(
        HEADER
        + "RX1,Example Hospitals NHS Trust,trust,Midlands,Acute,\n"
        + "QHM,NHS North East and North Cumbria ICB,ICB,North East and Yorkshire,,\n"
        + '00L,"Northumberland, sub-ICB",sub_icb,North East and Yorkshire,Rural,QHM\n'
    )
    summary = import_organisations(path)
    assert (summary.layout, summary.created, summary.updated, summary.closed) == (
        "headed",
        3,
        0,
        0,
    )
    trust = _org("RX1")
    assert (trust.kind, trust.region, trust.peer_group, trust.parent_code) == (
        "trust",
        "Midlands",
        "Acute",
        None,
    )
    icb = _org("QHM")
    assert (icb.kind, icb.peer_group) == ("icb", "North East and Yorkshire")
    sub = _org("00L")
    assert (sub.name, sub.parent_code, sub.closed) == ("Northumberland, sub-ICB", "QHM", False)

    path.write_text(HEADER + "RX1,Example Hospitals NHS Trust,trust,Midlands,Teaching,\n")
    again = import_organisations(path)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 0)
    assert _org("RX1").peer_group == "Teaching"


def test_headed_layout_via_cli_and_list(runner, db, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text(HEADER + "RX1,Example Hospitals NHS Trust,trust,Midlands,,\n")
    result = runner.invoke(orgs, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged, 0 closed" in result.output

    assert runner.invoke(orgs, ["import", str(ECCG)]).exit_code == 0
    listed = runner.invoke(orgs, ["list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split()[:2] == ["CODE", "NAME"]
    darlington = next(line for line in lines if line.startswith("00C"))
    assert darlington.endswith("closed 2020-03-31")
    assert "11 organisation(s)." in listed.output

    open_only = runner.invoke(orgs, ["list", "--open-only"])
    assert "00C" not in open_only.output
    assert "10 organisation(s)." in open_only.output

    exported = runner.invoke(orgs, ["list", "--csv"])
    assert exported.output.splitlines()[0] == HEADER.strip()
    assert "RX1,Example Hospitals NHS Trust,trust,Midlands,Midlands,\n" in exported.output
    roundtrip = tmp_path / "export.csv"
    roundtrip.write_text(exported.output)
    assert (
        "0 created, 0 updated, 11 unchanged"
        in runner.invoke(orgs, ["import", str(roundtrip)]).output
    )


def test_every_bad_ods_row_is_reported_and_nothing_stored(runner, db, tmp_path: Path) -> None:
    rows = [
        _ods_row(code="A01"),  # line 1: fine
        _ods_row(code="A02")[:26],  # line 2: 26 columns
        _ods_row(code=""),  # line 3: empty code
        _ods_row(code="A04", name=""),  # line 4: empty name
        _ods_row(code="A05", opened="2019-04-01"),  # line 5: bad open date
        _ods_row(code="A06", closed="20190231"),  # line 6: no such day
        _ods_row(code="A01"),  # line 7: duplicate of line 1
        _ods_row(code="A08", opened="20200401", closed="20190331"),  # line 8: closes first
        _ods_row(code="A09", grouping=""),  # line 9: no national grouping
        _ods_row(code="A10"),  # line 10: fine
    ]
    path = _write_ods(tmp_path / "eccg.csv", rows)
    peers = tmp_path / "peers.csv"
    peers.write_text("code,peer_group\nA01,Urban\nZZZ,Rural\nA10,\n")

    result = runner.invoke(orgs, ["import", str(path), "--peer-groups", str(peers)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "eccg.csv line 2: expected 27 columns (ODS eccg.csv layout), found 26",
        "eccg.csv line 3: field 'code': must not be empty",
        "eccg.csv line 4: field 'name': must not be empty",
        "eccg.csv line 5: field 'open date': '2019-04-01' is not a YYYYMMDD date",
        "eccg.csv line 6: field 'close date': '20190231' is not a YYYYMMDD date",
        "eccg.csv line 7: field 'code': 'A01' is a duplicate of line 1",
        "eccg.csv line 8: field 'close date': '20190331' is before the open date '20200401'",
        "eccg.csv line 9: field 'national grouping': must not be empty",
        "peers.csv line 3: field 'code': 'ZZZ' is not in eccg.csv",
        "peers.csv line 4: field 'peer_group': must not be empty",
        "Nothing imported: 10 problem(s) found.",
    ]
    assert _count() == 0


def test_a_bad_file_leaves_earlier_imports_untouched(runner, db, tmp_path: Path) -> None:
    assert runner.invoke(orgs, ["import", str(ECCG)]).exit_code == 0
    rows = list(csv.reader(ECCG.open(newline="")))
    rows[0][1] = "SHOULD NOT BE STORED"
    rows[5][10] = "1st April"
    path = _write_ods(tmp_path / "eccg.csv", rows)
    result = runner.invoke(orgs, ["import", str(path)])
    assert result.exit_code == 1
    assert "eccg.csv line 6: field 'open date': '1st April' is not a YYYYMMDD date" in result.stderr
    _db.session.expire_all()
    assert _org("00L").name == "NHS NORTH EAST AND NORTH CUMBRIA ICB - 00L"
    assert _count() == 10


def test_every_bad_headed_row_is_reported(db, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text(
        HEADER
        + "RX1,Trust one,trust,Midlands,,\n"  # line 2: fine
        + "RX2,Trust two,hospital,Midlands,,\n"  # line 3: unknown kind
        + ",Nameless,trust,Midlands,,\n"  # line 4: empty code
        + "RX1,Trust again,trust,Midlands,,\n"  # line 5: duplicate
        + "RX6,Trust six,trust,,,\n"  # line 6: no region
        + "RX7,Trust seven,trust,Midlands\n"  # line 7: 4 columns
        + "\n"  # line 8: blank, ignored
        + '"RX9","Trust\nnine",,Midlands,,\n'  # lines 9-10: empty kind
        + "RX11,Trust eleven,other,London,,\n"  # line 11: fine
    )
    with pytest.raises(ImportFailed) as failed:
        read_organisations(path)
    assert failed.value.errors == [
        "orgs.csv line 3: field 'kind': 'hospital' is not one of ccg, icb, sub_icb, trust, other",
        "orgs.csv line 4: field 'code': must not be empty",
        "orgs.csv line 5: field 'code': 'RX1' is a duplicate of line 2",
        "orgs.csv line 6: field 'region': must not be empty",
        "orgs.csv line 7: expected 6 columns, found 4",
        "orgs.csv line 9: field 'kind': '' is not one of ccg, icb, sub_icb, trust, other",
    ]
    assert _count() == 0


def test_file_level_problems(db, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    wrong_header = tmp_path / "header.csv"
    wrong_header.write_text("code,name,region\nRX1,Trust,Midlands\n")
    headed = tmp_path / "headed.csv"
    headed.write_text(HEADER + "RX1,Trust,trust,Midlands,,\n")
    peers = tmp_path / "peers.csv"
    peers.write_text("org,group\n")

    with pytest.raises(ImportFailed) as failed:
        read_organisations(empty)
    assert failed.value.errors == ["empty.csv: is empty"]
    with pytest.raises(ImportFailed) as failed:
        read_organisations(wrong_header)
    assert failed.value.errors == [
        "header.csv line 1: the header must be exactly code,name,kind,region,peer_group,parent_code"
    ]
    with pytest.raises(ImportFailed) as failed:
        read_organisations(headed, peers)
    assert failed.value.errors == [
        "headed.csv: --peer-groups applies only to the ODS eccg.csv layout;"
        " the headed layout has its own peer_group column",
        "peers.csv line 1: the first line must be exactly code,peer_group",
    ]


def test_windows_1252_headed_file(db, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_bytes(
        (HEADER + "RX1,Guy\u2019s and St Thomas\u2019,trust,London,,\n").encode("cp1252")
    )
    import_organisations(path)
    assert _org("RX1").name == "Guy\u2019s and St Thomas\u2019"


def test_progress_callback_sees_every_row(db) -> None:
    steps: list[int] = []
    import_organisations(ECCG, progress=steps.append)
    assert sum(steps) == 10
