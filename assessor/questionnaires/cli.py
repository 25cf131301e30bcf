"""`assessor questionnaires validate|publish|list|retire`."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from assessor.extensions import db
from assessor.models.questionnaire import QuestionnaireVersion
from assessor.questionnaires import publishing, readability
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.loader import (
    LoadedFile,
    QuestionnaireError,
    display_path,
    load_directory_files,
    load_file,
)
from assessor.web.transactions import unit_of_work

PATH = click.Path(exists=True, path_type=Path)


def _target(path: Path | None) -> Path:
    return path if path is not None else Path(current_app.config["QUESTIONNAIRES_DIR"])


def _load(path: Path) -> list[LoadedFile]:
    if path.is_dir():
        return load_directory_files(path)
    return [LoadedFile(load_file(path), display_path(path))]


def _fail(messages: list[str]) -> NoReturn:
    for line in messages:
        click.echo(line, err=True)
    count = len(messages)
    click.echo(f"{count} problem{'s' if count != 1 else ''} found.", err=True)
    raise SystemExit(1)


@click.group("questionnaires")
def questionnaires_group() -> None:
    """Validate, publish, list and retire questionnaire versions."""


@questionnaires_group.command("validate")
@click.argument("path", required=False, type=PATH)
@with_appcontext
def validate_command(path: Path | None) -> None:
    """Check questionnaire files (a directory, or one file), and that no published version's
    file has changed. PATH defaults to QUESTIONNAIRES_DIR."""
    try:
        files = _load(_target(path))
    except QuestionnaireError as exc:
        _fail(exc.messages)
    problems: list[str] = []
    latest: dict[str, int] = {}
    for file in files:
        q = file.questionnaire
        latest[q.key] = max(latest.get(q.key, 0), q.version)
    try:
        for file in files:
            q = file.questionnaire
            problems.extend(publishing.frozen_problems(q, file.source, latest[q.key]))
    except SQLAlchemyError:
        db.session.rollback()
        click.echo(
            "warning: the database could not be read, so published checksums were not "
            "checked (run `assessor init`)",
            err=True,
        )
    if problems:
        _fail(problems)
    for file in files:
        q = file.questionnaire
        click.echo(
            f"ok {file.source}: {q.key} v{q.version} ({q.status}), {len(q.items)} items, "
            f"{len(q.scored_items)} scored"
        )
        _echo_readability(q)


def _echo_readability(q: Questionnaire) -> None:
    """Each wording's Flesch reading ease, with a warning below plain English; advice for
    the author, never a failure."""
    eases = readability.item_eases(q)
    width = max(len(e.label) for e in eases)
    for e in eases:
        click.echo(f"  {e.label.ljust(width)}  reading ease {e.ease:5.1f}")
    for e in eases:
        if e.ease < readability.PLAIN_ENGLISH:
            click.echo(
                f"  warning: {q.key} v{q.version} {e.label}: reading ease {e.ease:.1f} is below "
                f"{readability.PLAIN_ENGLISH:.0f} (plain English; GOV.UK aims at a reading age "
                "of about 9)"
            )
    found = readability.summary(eases)
    if found is not None:
        mean, hardest = found
        click.echo(
            f"  scored items: mean reading ease {mean:.1f}, lowest {hardest.ease:.1f} "
            f"({hardest.label})"
        )


@questionnaires_group.command("publish")
@click.argument("path", required=False, type=PATH)
@with_appcontext
def publish_command(path: Path | None) -> None:
    """Publish (or store as drafts) the questionnaire files under PATH (a directory, or one
    file); nothing is stored if any file has a problem."""
    target = _target(path)
    with unit_of_work():
        try:
            if target.is_dir():
                lines = publishing.publish_directory(target)
            else:
                lines = [publishing.publish_file(target)]
        except QuestionnaireError as exc:
            _fail(exc.messages)
    for line in lines:
        click.echo(line)


@questionnaires_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every questionnaire version in the database."""
    rows = db.session.scalars(
        select(QuestionnaireVersion).order_by(
            QuestionnaireVersion.key, QuestionnaireVersion.version
        )
    ).all()
    if not rows:
        click.echo("No questionnaire versions (run `assessor questionnaires publish`).")
        return
    header = ("key", "version", "status", "checksum", "published_at")
    table = [
        (
            row.key,
            str(row.version),
            row.status,
            row.checksum[:12],
            row.published_at.isoformat(timespec="seconds") if row.published_at else "-",
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    for r in [header, *table]:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


@questionnaires_group.command("retire")
@click.argument("key")
@click.argument("version", type=int)
@with_appcontext
def retire_command(key: str, version: int) -> None:
    """Stop new campaigns from using a published version (existing ones keep it)."""
    with unit_of_work():
        try:
            row = publishing.retire(key, version)
        except QuestionnaireError as exc:
            _fail(exc.messages)
    assert row.retired_at is not None
    click.echo(f"retired {key} v{version} (since {row.retired_at.isoformat(timespec='seconds')})")


def register(group: click.Group) -> None:
    group.add_command(questionnaires_group)
