"""Board users and API tokens. Secrets are kept only as hashes."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base, UTCDateTime, utcnow

ROLES = ("viewer", "editor", "admin")
SCOPES = ("results:read", "responses:read", "responses:write", "admin")


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    #: The organisation an `editor` edits the action plans of; None for other roles.
    org_code: Mapped[str | None] = mapped_column(ForeignKey("organisation.code"))
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
