"""Board users and their passwords, kept only as werkzeug hashes.

E-mail addresses are stored lower-cased so that one person cannot be created twice by
changing the case of their address.
"""

from __future__ import annotations

import re
from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from assessor.auth.roles import scope_problem
from assessor.extensions import db
from assessor.models import Organisation, User, utcnow

MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MAX_EMAIL_LENGTH = 254


class UserError(ValueError):
    """A user request that cannot be carried out; the message says why."""


def normalise_email(email: str) -> str:
    """Trim and lower-case an address, refusing one that is plainly not an address."""
    normalised = email.strip().lower()
    if not _EMAIL.fullmatch(normalised) or len(normalised) > _MAX_EMAIL_LENGTH:
        raise UserError(f"{email!r} is not an e-mail address")
    return normalised


def check_scope(role: str, org_code: str | None) -> None:
    """Raise UserError unless the role may have this organisation and it exists."""
    problem = scope_problem(role, org_code)
    if problem:
        raise UserError(problem)
    if org_code and db.session.get(Organisation, org_code) is None:
        raise UserError(f"there is no organisation {org_code!r}")


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(email: str, role: str, password: str, org_code: str | None = None) -> User:
    """Add a board user (flushed, not committed); raises UserError on a bad address, role,
    organisation or password, or an address already in use (roles.scope_problem)."""
    address = normalise_email(email)
    check_scope(role, org_code)
    validate_password(password)
    if find_user(address) is not None:
        raise UserError(f"a user with e-mail {address!r} already exists")
    user = User(
        email=address,
        role=role,
        org_code=org_code,
        password_hash=hash_password(password),
        created_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def end_sessions(user: User) -> None:
    """Invalidate every signed-in session of the user, in every browser and worker."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


def set_password(user: User, password: str) -> None:
    """A new password also signs the user out everywhere: whoever knew the old one may be
    holding a session."""
    validate_password(password)
    user.password_hash = hash_password(password)
    end_sessions(user)


def check_password(user: User, password: str) -> bool:
    """False for an account without a password (it signs in through single sign-on)."""
    if user.password_hash is None:
        check_password_hash(_decoy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


def hash_password(password: str) -> str:
    """The one place a password is hashed (PASSWORD_HASH_METHOD, werkzeug's scrypt)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _decoy_hash() -> str:
    # Same method as real hashes, so an unknown address costs as long as a wrong password.
    return hash_password("decoy password, never matched")


def authenticate(email: str, password: str) -> User | None:
    """The user whose address and password these are, or None. An unknown address costs a
    hash check too, so that response times do not reveal which addresses have accounts."""
    user = find_user(email)
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return None
    return user if check_password(user, password) else None
