"""Contact lists: the people a campaign invites, per organisation and audience.

A file is checked whole before anything is stored: every bad row is reported by its line,
and one bad row stores nothing. A person appears once per campaign: rows for the same email
or mobile number (in the file or already stored) are merged when they agree on the
organisation and audience, and refused when they do not.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import insert, select

from assessor.auth.tokens import hash_token
from assessor.extensions import db
from assessor.models import Campaign, CampaignOrganisation, Contact, utcnow
from assessor.models.campaign import AUDIENCES

COLUMNS = ("org_code", "audience", "email", "mobile")
#: A UK mobile: 07, +447 or 447, then nine digits (spaces, dashes and brackets ignored).
_UK_MOBILE = re.compile(r"^(?:\+?44|0)7(\d{9})$")


class ContactsError(ValueError):
    """A file that cannot be imported: `errors` lists every bad row by line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class ImportReport:
    added: int = 0
    merged: int = 0
    lines: int = 0
    errors: list[str] = field(default_factory=list)


def uk_mobile(value: str) -> str | None:
    """The number as +447xxxxxxxxx, or None when it is not a UK mobile number."""
    digits = re.sub(r"[\s\-().]", "", value)
    match = _UK_MOBILE.match(digits)
    return f"+447{match.group(1)}" if match else None


def contact_token(seed: str, purpose: str) -> str:
    """A contact's invitation or opt-out token: derived, so that it is never stored."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{purpose}:{seed}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


@dataclass
class _Row:
    line: int
    org_code: str
    audience: str
    email: str | None
    mobile: str | None
    id: int | None = None


def _check(line: int, raw: dict[str, str], members: set[str]) -> tuple[_Row | None, list[str]]:
    errors = []
    org = (raw.get("org_code") or "").strip().upper()
    audience = (raw.get("audience") or "").strip().lower()
    email_text = (raw.get("email") or "").strip()
    mobile_text = (raw.get("mobile") or "").strip()
    if org not in members:
        errors.append(f"line {line}: organisation {org!r} is not in this campaign")
    if audience not in AUDIENCES:
        errors.append(f"line {line}: audience must be staff or patient_leader, not {audience!r}")
    email = mobile = None
    if email_text:
        try:
            email = validate_email(email_text, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors.append(f"line {line}: {email_text!r} is not an email address")
    if mobile_text:
        mobile = uk_mobile(mobile_text)
        if mobile is None:
            errors.append(f"line {line}: {mobile_text!r} is not a UK mobile number")
    if not email_text and not mobile_text:
        errors.append(f"line {line}: give an email address or a mobile number")
    if errors:
        return None, errors
    return _Row(line, org, audience, email, mobile), []


class _Merger:
    """Merges rows that name the same person (by email or mobile) within the campaign."""

    def __init__(self, campaign: Campaign) -> None:
        self.by_email: dict[str, _Row] = {}
        self.by_mobile: dict[str, _Row] = {}
        stored = db.session.execute(
            select(
                Contact.id, Contact.org_code, Contact.audience, Contact.email, Contact.mobile
            ).where(Contact.campaign_id == campaign.id)
        )
        for id_, org, audience, email, mobile in stored:
            self._index(_Row(0, org, audience, email, mobile, id=id_))
        self.new: list[_Row] = []
        self.changed: dict[int, _Row] = {}
        self.merged = 0

    def _index(self, row: _Row) -> None:
        if row.email:
            self.by_email[row.email] = row
        if row.mobile:
            self.by_mobile[row.mobile] = row

    def add(self, row: _Row) -> str | None:
        by_email = self.by_email.get(row.email) if row.email else None
        by_mobile = self.by_mobile.get(row.mobile) if row.mobile else None
        if by_email and by_mobile and by_email is not by_mobile:
            return f"line {row.line}: the email and the mobile number belong to two people"
        known = by_email or by_mobile
        if known is None:
            self.new.append(row)
            self._index(row)
            return None
        where = f"line {known.line}" if known.line else "a contact already stored"
        if (known.org_code, known.audience) != (row.org_code, row.audience):
            who = row.email or row.mobile
            return f"line {row.line}: {who} is on {where} for another organisation or audience"
        if row.email and known.email and row.email != known.email:
            return f"line {row.line}: {row.mobile} is on {where} with another email address"
        if row.mobile and known.mobile and row.mobile != known.mobile:
            return f"line {row.line}: {row.email} is on {where} with another mobile number"
        known.email = known.email or row.email
        known.mobile = known.mobile or row.mobile
        if known.id is not None:
            self.changed[known.id] = known
        self._index(known)
        self.merged += 1
        return None


def read_rows(campaign: Campaign, text: str) -> tuple[_Merger, ImportReport]:
    """Check every row of the file and merge duplicates; nothing is stored."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple((name or "").strip().lower() for name in (reader.fieldnames or ()))
    if header != COLUMNS:
        report.errors.append(f"line 1: the columns must be {','.join(COLUMNS)}")
        return _Merger(campaign), report
    members = set(
        db.session.scalars(
            select(CampaignOrganisation.org_code).where(
                CampaignOrganisation.campaign_id == campaign.id
            )
        )
    )
    merger = _Merger(campaign)
    for raw in reader:
        report.lines += 1
        line = reader.line_num
        row, errors = _check(line, {k.strip().lower(): v for k, v in raw.items() if k}, members)
        if row is not None:
            problem = merger.add(row)
            if problem:
                errors.append(problem)
        report.errors.extend(errors)
    return merger, report


def import_contacts(campaign: Campaign, text: str) -> ImportReport:
    """Store the file's contacts (flushed, not committed), or raise ContactsError listing
    every bad row, storing nothing."""
    if campaign.status == "closed":
        raise ContactsError([f"campaign {campaign.slug!r} is closed: it invites no one"])
    merger, report = read_rows(campaign, text)
    if report.errors:
        raise ContactsError(report.errors)
    now = utcnow()
    rows = []
    for row in merger.new:
        seed = secrets.token_hex(16)
        rows.append(
            {
                "campaign_id": campaign.id,
                "org_code": row.org_code,
                "audience": row.audience,
                "email": row.email,
                "mobile": row.mobile,
                "seed": seed,
                "optout_hash": hash_token(contact_token(seed, "optout")),
                "reminders": 0,
                "created_at": now,
            }
        )
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Contact), rows[start : start + 5000])
    for id_, row in merger.changed.items():
        contact = db.session.get(Contact, id_)
        if contact is not None:
            contact.email, contact.mobile = row.email, row.mobile
    db.session.flush()
    report.added = len(rows)
    report.merged = merger.merged
    return report
