"""Who may come in, and the audit of every change to that: grants by address and by domain,
role changes, removals, admission at single sign-on, and disabling accounts left unused.

A grant by address makes the account at once, without a password (it signs in through
single sign-on); a domain grant makes it at the person's first sign-in. Services flush,
never commit.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from assessor.auth.passwords import UserError, check_scope, find_user, normalise_email
from assessor.auth.roles import describe
from assessor.extensions import db
from assessor.models import AuditEvent, DomainGrant, User, utcnow

DEFAULT_INACTIVE_DAYS = 90


def audit(actor: str, action: str, **details: object) -> None:
    db.session.add(AuditEvent(actor=actor, action=action, details=details, at=utcnow()))


def grant(email: str, role: str, org_code: str | None, *, actor: str) -> tuple[User, str]:
    """Let EMAIL in with this role and organisation: a new account (no password), or a role
    change of an existing one (which ends its sessions). Returns the user and what changed:
    `granted`, `changed` or `unchanged`."""
    address = normalise_email(email)
    org_code = org_code or None
    check_scope(role, org_code)
    user = find_user(address)
    if user is None:
        user = User(email=address, role=role, org_code=org_code, created_at=utcnow())
        db.session.add(user)
        db.session.flush()
        audit(actor, "user.grant", email=address, role=role, organisation=org_code)
        return user, "granted"
    if (user.role, user.org_code) == (role, org_code):
        if user.disabled_at is not None:
            user.disabled_at, user.granted_at = None, utcnow()
            audit(actor, "user.enable", email=address)
            return user, "changed"
        return user, "unchanged"
    before = describe(user)
    user.role, user.org_code = role, org_code
    user.disabled_at, user.granted_at = None, utcnow()
    user.session_version = (user.session_version or 0) + 1  # the old role's sessions end
    audit(actor, "user.role_change", email=address, before=before, after=describe(user))
    db.session.flush()
    return user, "changed"


@dataclass(frozen=True)
class GrantRow:
    line: int
    email: str
    role: str
    org_code: str | None


def read_grants_csv(text: str) -> list[GrantRow]:
    """Rows of a headed CSV `email,role,org` (org may be empty); raises UserError listing
    every bad row by line number, so that a file with a mistake grants nothing."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"email", "role"} <= set(reader.fieldnames):
        raise UserError("the CSV needs a header with columns email,role and optionally org")
    rows, problems = [], []
    for line, row in enumerate(reader, start=2):
        email, role = (row.get("email") or "").strip(), (row.get("role") or "").strip()
        org_code = (row.get("org") or "").strip() or None
        try:
            normalise_email(email)
            check_scope(role, org_code)
        except UserError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        rows.append(GrantRow(line, email, role, org_code))
    if problems:
        raise UserError("; ".join(problems))
    return rows


def grant_many(rows: list[GrantRow], *, actor: str) -> dict[str, int]:
    counts = {"granted": 0, "changed": 0, "unchanged": 0}
    for row in rows:
        _, outcome = grant(row.email, row.role, row.org_code, actor=actor)
        counts[outcome] += 1
    return counts


def remove(email: str, *, actor: str) -> None:
    """Delete the account (its audit trail stays: it names people by address)."""
    user = find_user(email)
    if user is None:
        raise UserError(f"no user with e-mail {email.strip().lower()!r}")
    audit(actor, "user.remove", email=user.email, role=describe(user))
    db.session.delete(user)
    db.session.flush()


def normalise_domain(domain: str) -> str:
    found = domain.strip().lower().lstrip("@")
    if "." not in found or "@" in found or any(c.isspace() for c in found) or len(found) > 253:
        raise UserError(f"{domain!r} is not a domain such as example.nhs.uk")
    return found


def grant_domain(domain: str, role: str, org_code: str | None, *, actor: str) -> DomainGrant:
    """Let anyone at DOMAIN in with this role and organisation (replacing its earlier grant)."""
    name = normalise_domain(domain)
    org_code = org_code or None
    check_scope(role, org_code)
    if role == "admin":
        raise UserError("admins are granted one by one, never by domain")
    found = db.session.scalar(select(DomainGrant).where(DomainGrant.domain == name))
    if found is None:
        found = DomainGrant(domain=name, created_by=actor, created_at=utcnow(), role=role)
        db.session.add(found)
    found.role, found.org_code = role, org_code
    audit(actor, "domain.grant", domain=name, role=role, organisation=org_code)
    db.session.flush()
    return found


def revoke_domain(domain: str, *, actor: str) -> None:
    name = normalise_domain(domain)
    found = db.session.scalar(select(DomainGrant).where(DomainGrant.domain == name))
    if found is None:
        raise UserError(f"no grant for the domain {name!r}")
    db.session.delete(found)
    audit(actor, "domain.revoke", domain=name)
    db.session.flush()


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def domain_grants() -> list[DomainGrant]:
    return list(db.session.scalars(select(DomainGrant).order_by(DomainGrant.domain)))


def inactive_since(now: datetime | None = None) -> datetime:
    days = int(current_app.config.get("INACTIVE_DAYS") or DEFAULT_INACTIVE_DAYS)
    return (now or utcnow()) - timedelta(days=days)


def is_stale(user: User, now: datetime | None = None) -> bool:
    """Unused for INACTIVE_DAYS: neither signed in nor granted since then."""
    granted = user.granted_at or user.created_at
    last = max(granted, user.last_sign_in_at or granted)
    return last < inactive_since(now)


def disable(user: User, reason: str, *, actor: str) -> None:
    if user.disabled_at is None:
        user.disabled_at = utcnow()
        user.session_version = (user.session_version or 0) + 1
        audit(actor, "user.disable", email=user.email, reason=reason)
        db.session.flush()


def disable_inactive(now: datetime | None = None) -> list[User]:
    """Disable every account unused for INACTIVE_DAYS (from cron, and at sign-in)."""
    stale = [
        u
        for u in db.session.scalars(select(User).where(User.disabled_at.is_(None)))
        if is_stale(u, now)
    ]
    for user in stale:
        disable(user, "unused", actor="system")
    return stale


@dataclass(frozen=True)
class Admission:
    user: User | None
    #: Why not, in words for the refusal page (None when let in).
    refusal: str | None = None


def admit(email: str, subject: str) -> Admission:
    """The account a person signed in by the provider as EMAIL (subject SUBJECT) uses: one
    granted by address, or one made now under a domain grant; else a refusal."""
    try:
        address = normalise_email(email)
    except UserError:
        return Admission(None, "The provider did not give an e-mail address for your account.")
    user = find_user(address)
    if user is None:
        found = db.session.scalar(
            select(DomainGrant).where(DomainGrant.domain == address.rsplit("@", 1)[1])
        )
        if found is None:
            return Admission(None, "Your account has not been given access to assessor.")
        user = User(email=address, role=found.role, org_code=found.org_code, created_at=utcnow())
        db.session.add(user)
        db.session.flush()
        audit("system", "user.grant", email=address, role=found.role, domain=found.domain)
    if user.disabled_at is not None or is_stale(user):
        disable(user, "unused", actor="system")
        return Admission(None, "Your account was disabled because it was not used for a while.")
    if user.sso_subject is None:
        user.sso_subject = subject
    elif user.sso_subject != subject:
        # The address now names another person at the provider (a reused mailbox).
        return Admission(None, "Your account is tied to another person's sign-in.")
    return Admission(user)
