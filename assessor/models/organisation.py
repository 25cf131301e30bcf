"""Organisations (CCGs, ICBs, sub-ICB locations) as imported from CSV."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base


class Organisation(Base):
    __tablename__ = "organisation"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(100))
    peer_group: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(16))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
