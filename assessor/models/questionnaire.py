"""Published questionnaire versions: the normalised definition is frozen here by checksum,
so that every response can be scored against exactly what its respondent saw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base, UTCDateTime


class QuestionnaireVersion(Base):
    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    #: draft | published | retired
    status: Mapped[str] = mapped_column(String(20))
    revises: Mapped[int | None] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    #: Deferred: readers use the parsed definition cached by `definition_of`, so loading a
    #: campaign's version on every submission need not parse its JSON again.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    source_path: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
