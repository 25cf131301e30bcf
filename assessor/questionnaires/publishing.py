"""Publishing questionnaire files into the database.

A published version is frozen by the checksum stored when it was published: every response
is pinned to it, so its content can never change under them. A later change to its file is
refused, telling the author to add a new version. Drafts may change freely and are never
usable by a campaign. Services flush, never commit: the caller (CLI command or request)
owns the transaction.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from assessor.extensions import db
from assessor.models.base import utcnow
from assessor.models.questionnaire import QuestionnaireVersion
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.loader import (
    LoadedFile,
    display_path,
    load_directory_files,
    load_file,
)
from assessor.questionnaires.problems import TOP_LEVEL, QuestionnaireError, message

PUBLISHED = "published"
DRAFT = "draft"
RETIRED = "retired"


def get_version(key: str, version: int) -> QuestionnaireVersion | None:
    return db.session.execute(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.key == key, QuestionnaireVersion.version == version
        )
    ).scalar_one_or_none()


def _latest_stored(key: str) -> int:
    latest = db.session.scalar(
        select(func.max(QuestionnaireVersion.version)).where(QuestionnaireVersion.key == key)
    )
    return latest or 0


def usable_for_campaign(row: QuestionnaireVersion | None) -> bool:
    """Only a published version: a draft may still change, a retired one takes no new
    campaigns (existing campaigns keep using it)."""
    return row is not None and row.status == PUBLISHED


@dataclass(frozen=True)
class _Plan:
    questionnaire: Questionnaire
    source: str
    row: QuestionnaireVersion | None
    action: str  # create | publish | update | unchanged


def _plan(q: Questionnaire, source: str, latest_file: int = 0) -> tuple[_Plan | None, list[str]]:
    """Decide what publishing q would do, without changing anything, so that a directory
    with one refused file changes nothing at all."""
    row = get_version(q.key, q.version)
    if row is None:
        return _Plan(q, source, None, "create"), []
    checksum = q.checksum()
    if row.status in (PUBLISHED, RETIRED):
        if row.checksum != checksum:
            latest = max(q.version, latest_file, _latest_stored(q.key))
            return None, [
                message(
                    source,
                    TOP_LEVEL,
                    "version",
                    f"{q.key} v{q.version} is {row.status} and frozen (checksum "
                    f"{row.checksum[:12]}), but this file's content has changed (checksum "
                    f"{checksum[:12]}). Undo the change, and add a new version instead: "
                    f"v{latest + 1}.yaml with version: {latest + 1} and revises: {latest}",
                )
            ]
        if q.status == DRAFT:
            return None, [
                message(
                    source,
                    TOP_LEVEL,
                    "status",
                    f"{q.key} v{q.version} is already {row.status}; a published version "
                    "cannot return to draft (set status: published, or add a new version)",
                )
            ]
        return _Plan(q, source, row, "unchanged"), []
    if q.status == PUBLISHED:
        return _Plan(q, source, row, "publish"), []
    if row.checksum != checksum or row.source_path != source:
        return _Plan(q, source, row, "update"), []
    return _Plan(q, source, row, "unchanged"), []


def _apply(plan: _Plan) -> str:
    q, row = plan.questionnaire, plan.row
    name = f"{q.key} v{q.version}"
    if plan.action == "unchanged":
        assert row is not None
        suffix = f" ({row.status})" if row.status != PUBLISHED else ""
        return f"unchanged {name}{suffix}"
    if row is None:
        row = QuestionnaireVersion(key=q.key, version=q.version)
        db.session.add(row)
    row.title = q.title
    row.status = q.status
    row.revises = q.revises
    row.checksum = q.checksum()
    row.definition = q.to_dict()
    row.source_path = plan.source
    if q.status == PUBLISHED:
        row.published_at = utcnow()
    db.session.flush()
    if q.status == PUBLISHED:
        return f"published {name}"
    return f"draft {name} {'stored' if plan.action == 'create' else 'updated'}"


def publish(q: Questionnaire, source_path: str) -> str:
    """Store one validated questionnaire; returns a line for the operator, e.g.
    "published engagement-maturity v1". Raises QuestionnaireError for a frozen version."""
    plan, errors = _plan(q, source_path)
    if errors or plan is None:
        raise QuestionnaireError(errors)
    return _apply(plan)


def publish_file(path: str | Path) -> str:
    """Publish one file. Prefer `publish_directory`, which also checks the versions of a
    key against each other."""
    path = Path(path)
    return publish(load_file(path), display_path(path))


def publish_directory(root: Path) -> list[str]:
    """Validate every file under root, then publish them all, or (on any error) none."""
    return publish_files(load_directory_files(root))


def publish_files(files: Sequence[LoadedFile]) -> list[str]:
    """Publish the files of a directory loaded by `load_directory_files`, or none."""
    plans: list[_Plan] = []
    errors: list[str] = []
    latest: dict[str, int] = {}
    for file in files:
        q = file.questionnaire
        latest[q.key] = max(latest.get(q.key, 0), q.version)
    for file in files:
        plan, problems = _plan(file.questionnaire, file.source, latest[file.questionnaire.key])
        errors.extend(problems)
        if plan is not None:
            plans.append(plan)
    if errors:
        raise QuestionnaireError(errors)
    return [_apply(plan) for plan in plans]


def frozen_problems(q: Questionnaire, source: str, latest_file: int = 0) -> list[str]:
    """What publishing q would refuse (a changed published file), without changing
    anything; `questionnaires validate` reports these with the file's own problems.
    latest_file is the newest version among the files, for the suggested next version."""
    return _plan(q, source, latest_file)[1]


def retire(key: str, version: int) -> QuestionnaireVersion:
    """Take a published version out of use for new campaigns; campaigns and responses
    already on it keep it. Retiring twice is harmless."""
    row = get_version(key, version)
    if row is None:
        raise QuestionnaireError([f"{key} v{version}: no such questionnaire version"])
    if row.status == DRAFT:
        raise QuestionnaireError(
            [f"{key} v{version}: is a draft; only a published version can be retired"]
        )
    if row.status == PUBLISHED:
        row.status = RETIRED
        row.retired_at = utcnow()
        db.session.flush()
    return row


# -- reading definitions -----------------------------------------------------------------

_CACHE_SIZE = 32
_cache: OrderedDict[tuple[int, str], Questionnaire] = OrderedDict()
_cache_lock = threading.Lock()


def definition_of(row: QuestionnaireVersion) -> Questionnaire:
    """The stored definition as dataclasses. Cached by (id, checksum): the checksum
    changes whenever the definition does (a draft updated), so an entry is never stale.
    The lifecycle status is the row's (`row.status`), not the definition's."""
    if row.id is None:
        return Questionnaire.from_dict(row.definition)
    cache_key = (row.id, row.checksum)
    with _cache_lock:
        found = _cache.get(cache_key)
        if found is not None:
            _cache.move_to_end(cache_key)
            return found
    q = Questionnaire.from_dict(row.definition)
    with _cache_lock:
        _cache[cache_key] = q
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return q
