"""Board users and API tokens. Secrets are kept only as hashes."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base, UTCDateTime, utcnow

ROLES = ("viewer", "editor", "admin")
SCOPES = ("results:read", "responses:read", "responses:write", "admin")


#: Viewers belong to one organisation or none (national), editors to one, admins to none.
ROLE_SCOPE = (
    "role = 'viewer' OR (role = 'editor' AND org_code IS NOT NULL)"
    " OR (role = 'admin' AND org_code IS NULL)"
)


class User(UserMixin, Base):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(ROLE_SCOPE, name="role_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: None for an account that signs in only through single sign-on.
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    #: The user's organisation (auth.roles): an editor's, a viewer's or none.
    org_code: Mapped[str | None] = mapped_column(ForeignKey("organisation.code"))
    #: The provider's `sub` for this person, bound at the first single sign-on.
    sso_subject: Mapped[str | None] = mapped_column(String(255))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When an admin last granted (or re-enabled) the account: its unused days count from
    #: the later of this and the last sign-in.
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the account is disabled (unused too long); it then signs in no more.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The TOTP secret once enrolled (base32), and the sha256 hashes of unused recovery codes.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: The time step of the last code accepted, so that no code is accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Written into the session at sign-in and bumped by sign-out and a password change, so
    #: that every session issued before either stops working at once, on every worker.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DomainGrant(Base):
    """Anyone whose address is at `domain` may come in by single sign-on, with this role and
    organisation (their account is made at their first sign-in)."""

    __tablename__ = "domain_grant"
    __table_args__ = (CheckConstraint(ROLE_SCOPE, name="role_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    org_code: Mapped[str | None] = mapped_column(ForeignKey("organisation.code"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))
