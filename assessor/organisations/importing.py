"""Importing organisations from CSV, all or nothing.

Two layouts are recognised from the file itself:

* the headed layout, whose first line is exactly ``code,name,kind,region,peer_group,parent_code``.
  ``kind`` is one of ``KINDS`` (any case); an empty ``peer_group`` defaults to the region and an
  empty ``parent_code`` is stored as none. The layout says nothing about opening or closing, so
  re-importing it never changes an organisation's dates or closed flag.
* NHS ODS's ``eccg.csv`` as published: no header, 27 columns, of which 1 code, 2 name,
  3 national grouping, 4 high level health geography (stored as ``parent_code``), 11 open date
  and 12 close date (YYYYMMDD) are used. The region is the NHS England region named by the
  national grouping code (``REGIONS``); another code is kept as it is, so that a new region
  shows up rather than vanishing. ``kind`` is ``sub_icb`` when the name says "ICB" or
  "Integrated Care Board" (ODS names sub-ICB locations "NHS <ICB> ICB - <code>") and ``ccg``
  otherwise: the file holds nothing else, and the name is the only signal it carries.
  Peer groups come from a ``code,peer_group`` file; a new organisation not named there gets
  its region, an existing one keeps the peer group it has, so that re-importing the monthly
  ODS file without the peer-groups file does not wipe peer groups set earlier.
  An organisation with a close date is kept and marked closed once that date has come
  (ODS publishes some closures ahead of time); ``closed_on`` is recorded either way.

Every row is checked before anything is stored, and every problem is reported with its file,
line number and field, so that an administrator can fix a file in one pass and a bad file
never leaves the table half imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from sqlalchemy import select

from assessor.extensions import db
from assessor.models import Organisation

HEADER = ("code", "name", "kind", "region", "peer_group", "parent_code")
PEER_GROUPS_HEADER = ("code", "peer_group")
#: ccg and sub_icb come from ODS; icb, trust and other let a pilot assess other bodies.
KINDS = ("ccg", "icb", "sub_icb", "trust", "other")
ODS_COLUMNS = 27
#: NHS England regions by ODS national grouping code.
REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}
#: Column lengths in the organisation table, checked here so that PostgreSQL never refuses
#: a row half-way through an import.
MAX_LENGTHS = {"code": 16, "name": 200, "region": 100, "peer_group": 100, "parent_code": 16}

_ICB_NAME = re.compile(r"\bICB\b|INTEGRATED CARE BOARD", re.IGNORECASE)
_YYYYMMDD = re.compile(r"\d{8}")


class ImportFailed(Exception):
    """The file (or the peer-groups file) has problems; nothing was stored."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__(f"{len(errors)} problem(s) found; nothing imported")
        self.errors = list(errors)


@dataclass(frozen=True)
class OrganisationRow:
    line: int
    code: str
    name: str
    kind: str
    region: str
    #: None: a new organisation takes its region, an existing one keeps its peer group.
    peer_group: str | None
    parent_code: str | None
    #: False for the headed layout, which carries no dates: stored dates are left alone.
    dates_known: bool = False
    opened_on: date | None = None
    closed_on: date | None = None


@dataclass(frozen=True)
class ParsedFile:
    #: "headed" or "ods"
    layout: str
    rows: list[OrganisationRow]


@dataclass(frozen=True)
class ImportSummary:
    layout: str
    created: int
    updated: int
    unchanged: int
    #: Organisations of the file stored as closed.
    closed: int

    def describe(self) -> str:
        layout = "headed layout" if self.layout == "headed" else "ODS eccg.csv layout"
        return (
            f"Imported {self.created + self.updated + self.unchanged} organisations ({layout}):"
            f" {self.created} created, {self.updated} updated, {self.unchanged} unchanged,"
            f" {self.closed} closed."
        )


class _Problems:
    """Collects messages for one file, each prefixed with the file name and line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self._found: list[tuple[int, str]] = []

    def add(self, line: int | None, message: str) -> None:
        where = self.filename if line is None else f"{self.filename} line {line}"
        self._found.append((line or 0, f"{where}: {message}"))

    @property
    def messages(self) -> list[str]:
        """In line order (file-wide problems first), however late a check found them."""
        return [message for _, message in sorted(self._found, key=lambda found: found[0])]

    def field(self, line: int, field: str, message: str) -> None:
        self.add(line, f"field '{field}': {message}")


def _decode(path: Path, problems: _Problems) -> str | None:
    """UTF-8 (with or without a byte-order mark) or, failing that, Windows-1252, which is what
    a spreadsheet saved as CSV on Windows produces."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    problems.add(None, "is neither UTF-8 nor Windows-1252 text")
    return None


def _rows(text: str, problems: _Problems) -> list[tuple[int, list[str]]]:
    """(first physical line, stripped cells) of every non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    start = 1
    try:
        for cells in reader:
            if cells:
                rows.append((start, [cell.strip() for cell in cells]))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.add(start, f"is not valid CSV: {exc}")
    return rows


def _required(problems: _Problems, line: int, field: str, value: str) -> bool:
    if not value:
        problems.field(line, field, "must not be empty")
        return False
    return _fits(problems, line, field, value)


def _fits(problems: _Problems, line: int, field: str, value: str, key: str | None = None) -> bool:
    limit = MAX_LENGTHS.get(key or field)
    if limit is not None and len(value) > limit:
        problems.field(line, field, f"{len(value)} characters, more than the {limit} allowed")
        return False
    return True


def _date(problems: _Problems, line: int, field: str, value: str) -> date | None:
    try:
        if not _YYYYMMDD.fullmatch(value):
            raise ValueError
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        problems.field(line, field, f"{value!r} is not a YYYYMMDD date")
        return None


def _check_code(
    problems: _Problems, line: int, code: str, first_seen: dict[str, int], field: str = "code"
) -> bool:
    if not _required(problems, line, field, code):
        return False
    if code in first_seen:
        problems.field(line, field, f"{code!r} is a duplicate of line {first_seen[code]}")
        return False
    first_seen[code] = line
    return True


def _named_rows(
    rows: list[tuple[int, list[str]]],
    problems: _Problems,
    first_seen: dict[str, int],
    width: int,
    layout: str = "",
) -> Iterator[tuple[int, list[str], bool, Callable[..., OrganisationRow]]]:
    """Each row of the layout's width (both layouts start with code and name): its line,
    cells, whether its code and name are good, and its OrganisationRow still to complete."""
    for line, cells in rows:
        if len(cells) != width:
            problems.add(line, f"expected {width} columns{layout}, found {len(cells)}")
            continue
        code, name = cells[0], cells[1]
        ok = _check_code(problems, line, code, first_seen)
        ok &= _required(problems, line, "name", name)
        yield line, cells, ok, partial(OrganisationRow, line=line, code=code, name=name)


def _parse_headed(
    rows: list[tuple[int, list[str]]], problems: _Problems, first_seen: dict[str, int]
) -> list[OrganisationRow]:
    parsed = []
    for line, cells, named, row in _named_rows(rows, problems, first_seen, len(HEADER)):
        _, _, kind, region, peer_group, parent_code = cells
        ok = named
        if kind.lower() not in KINDS:
            problems.field(line, "kind", f"{kind!r} is not one of {', '.join(KINDS)}")
            ok = False
        ok &= _required(problems, line, "region", region)
        ok &= _fits(problems, line, "peer_group", peer_group)
        ok &= _fits(problems, line, "parent_code", parent_code)
        if ok:
            parsed.append(
                row(
                    kind=kind.lower(),
                    region=region,
                    peer_group=peer_group or region,
                    parent_code=parent_code or None,
                )
            )
    return parsed


def _parse_ods(
    rows: list[tuple[int, list[str]]],
    problems: _Problems,
    first_seen: dict[str, int],
    peer_groups: dict[str, str],
) -> list[OrganisationRow]:
    parsed = []
    layout = " (ODS eccg.csv layout)"
    for line, cells, named, row in _named_rows(rows, problems, first_seen, ODS_COLUMNS, layout):
        code, name, grouping, geography = cells[0:4]
        open_text, close_text = cells[10:12]
        ok = named
        region = REGIONS.get(grouping, grouping)
        ok &= _required(problems, line, "national grouping", region) and _fits(
            problems, line, "national grouping", region, key="region"
        )
        ok &= _fits(problems, line, "high level health geography", geography, key="parent_code")
        opened_on = closed_on = None
        if _required(problems, line, "open date", open_text):
            opened_on = _date(problems, line, "open date", open_text)
        ok &= opened_on is not None
        if close_text:
            closed_on = _date(problems, line, "close date", close_text)
            ok &= closed_on is not None
            if opened_on and closed_on and closed_on < opened_on:
                problems.field(
                    line, "close date", f"{close_text!r} is before the open date {open_text!r}"
                )
                ok = False
        if ok:
            parsed.append(
                row(
                    kind="sub_icb" if _ICB_NAME.search(name) else "ccg",
                    region=region,
                    peer_group=peer_groups.get(code),
                    parent_code=geography or None,
                    dates_known=True,
                    opened_on=opened_on,
                    closed_on=closed_on,
                )
            )
    return parsed


def _read_peer_groups(path: Path) -> tuple[dict[str, tuple[int, str]], _Problems]:
    problems = _Problems(path.name)
    text = _decode(path, problems)
    found: dict[str, tuple[int, str]] = {}
    if text is None:
        return found, problems
    rows = _rows(text, problems)
    if not rows or tuple(rows[0][1]) != PEER_GROUPS_HEADER:
        problems.add(1, f"the first line must be exactly {','.join(PEER_GROUPS_HEADER)}")
        return found, problems
    first_seen: dict[str, int] = {}
    for line, cells in rows[1:]:
        if len(cells) != len(PEER_GROUPS_HEADER):
            problems.add(line, f"expected {len(PEER_GROUPS_HEADER)} columns, found {len(cells)}")
            continue
        code, peer_group = cells
        ok = _check_code(problems, line, code, first_seen)
        ok &= _required(problems, line, "peer_group", peer_group)
        if ok:
            found[code] = (line, peer_group)
    return found, problems


def read_organisations(path: Path, peer_groups_path: Path | None = None) -> ParsedFile:
    """Parse and check a whole file (and its peer-groups file) without touching the database.

    Raises ImportFailed listing every problem found in both files.
    """
    path = Path(path)
    problems = _Problems(path.name)
    peer_entries: dict[str, tuple[int, str]] = {}
    peer_problems = None
    if peer_groups_path is not None:
        peer_entries, peer_problems = _read_peer_groups(Path(peer_groups_path))

    text = _decode(path, problems)
    rows = _rows(text, problems) if text is not None else []
    first_seen: dict[str, int] = {}
    layout = "ods"
    parsed: list[OrganisationRow] = []
    if text is not None and not rows and not problems.messages:
        problems.add(None, "is empty")
    elif rows and tuple(rows[0][1]) == HEADER:
        layout = "headed"
        parsed = _parse_headed(rows[1:], problems, first_seen)
        if peer_groups_path is not None:
            problems.add(
                None,
                "--peer-groups applies only to the ODS eccg.csv layout;"
                " the headed layout has its own peer_group column",
            )
    elif rows and rows[0][1] and rows[0][1][0].lower() == "code":
        problems.add(1, f"the header must be exactly {','.join(HEADER)}")
    elif rows:
        peer_groups = {code: group for code, (_, group) in peer_entries.items()}
        parsed = _parse_ods(rows, problems, first_seen, peer_groups)

    if peer_problems is not None and layout == "ods":
        for code, (line, _) in peer_entries.items():
            if code not in first_seen:
                peer_problems.field(line, "code", f"{code!r} is not in {path.name}")
    messages = problems.messages + (peer_problems.messages if peer_problems else [])
    if messages:
        raise ImportFailed(messages)
    return ParsedFile(layout=layout, rows=parsed)


def store_organisations(
    parsed: ParsedFile,
    *,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Insert or update by code, then flush (the caller commits)."""
    today = today or date.today()
    existing = {org.code: org for org in db.session.scalars(select(Organisation))}
    created = updated = unchanged = closed = 0
    for row in parsed.rows:
        values: dict[str, object] = {
            "name": row.name,
            "kind": row.kind,
            "region": row.region,
            "parent_code": row.parent_code,
        }
        if row.peer_group is not None:
            values["peer_group"] = row.peer_group
        if row.dates_known:
            values["opened_on"] = row.opened_on
            values["closed_on"] = row.closed_on
            values["closed"] = row.closed_on is not None and row.closed_on <= today
        org = existing.get(row.code)
        if org is None:
            values.setdefault("peer_group", row.region)
            values.setdefault("closed", False)
            org = Organisation(code=row.code, **values)
            db.session.add(org)
            existing[row.code] = org
            created += 1
        elif any(getattr(org, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(org, key, value)
            updated += 1
        else:
            unchanged += 1
        closed += bool(org.closed)
        if progress is not None:
            progress(1)
    db.session.flush()
    return ImportSummary(
        layout=parsed.layout, created=created, updated=updated, unchanged=unchanged, closed=closed
    )


def import_organisations(
    path: Path,
    peer_groups_path: Path | None = None,
    *,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Check the whole file, then store it; raises ImportFailed, storing nothing, on any
    problem."""
    parsed = read_organisations(path, peer_groups_path)
    return store_organisations(parsed, today=today, progress=progress)
