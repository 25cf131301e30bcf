"""Rebuilding a campaign's cells and stored respondent scores from raw answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Text, bindparam, cast, delete, select, text

from assessor.config import json_dumps
from assessor.extensions import db
from assessor.models import Campaign, RespondentScore, Response
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.results.cells import Sums, accumulate_previous, write_sums
from assessor.results.scores import (
    TrendContext,
    comparable_context,
    respondent_scores,
    score_answers,
    scores_dicts,
)


def rebuild(
    campaign: Campaign,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 5000,
    checkpoint: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Recompute every cell statistic, profile count and stored respondent score of a
    campaign from raw answers; never touches a publication.

    Answers are read and scored in chunks (stored scores rewritten only where they changed,
    `checkpoint` called after each chunk so that the caller may commit), holding no lock on
    the cells; the cells are then locked only for the short final step, which also counts
    what was submitted or voided meanwhile."""
    q = definition_of(campaign.questionnaire)
    context = comparable_context(campaign)
    sums = Sums(q, [m.org_code for m in campaign.members])
    included: dict[int, Any] = {}
    changed_scores = 0
    last_seq = 0
    while True:
        rows = db.session.execute(
            select(
                Response.seq,
                Response.org_code,
                Response.audience,
                Response.answers,
                cast(RespondentScore.scores, Text).label("scores_text"),
            )
            .outerjoin(RespondentScore, RespondentScore.response_seq == Response.seq)
            .where(
                Response.campaign_id == campaign.id,
                Response.status == "submitted",
                Response.seq > last_seq,
            )
            .order_by(Response.seq)
            .limit(chunk_size)
        ).all()
        if not rows:
            break
        last_seq = rows[-1].seq
        changed_scores += _add_rows(q, context, rows, sums, 1, rewrite=True)
        included.update((r.seq, r) for r in rows)
        if checkpoint:
            checkpoint()
        if progress:
            progress(len(rows))

    _lock_cells(campaign.id)
    current = set(
        db.session.scalars(
            select(Response.seq).where(
                Response.campaign_id == campaign.id, Response.status == "submitted"
            )
        )
    )
    gone = [included[seq] for seq in sorted(set(included) - current)]
    if gone:
        _add_rows(q, context, gone, sums, -1, rewrite=False)
    arrived = sorted(current - set(included))
    if arrived:
        rows = db.session.execute(
            select(Response.seq, Response.org_code, Response.audience, Response.answers)
            .where(Response.seq.in_(arrived))
            .order_by(Response.seq)
        ).all()
        _add_rows(q, context, rows, sums, 1, rewrite=False)
    if context is not None:
        accumulate_previous(campaign, context, sums)

    write_sums(campaign.id, sums)
    return {"responses": len(current), "scores_changed": changed_scores}


def _add_rows(
    q: Questionnaire,
    context: TrendContext | None,
    rows: Sequence[Any],
    sums: Sums,
    sign: int,
    rewrite: bool,
) -> int:
    answers = [r.answers for r in rows]
    full = score_answers(q, answers, details=True)
    now = (
        respondent_scores(q, answers, only=context.comparability.items_for_rescoring_current)
        if context is not None
        else None
    )
    changed = 0
    if rewrite:
        fulls = scores_dicts(q, full.scores)
        nows = scores_dicts(q, now) if now is not None else None
        updates = []
        for i, r in enumerate(rows):
            new_scores: dict[str, Any] = {"full": fulls[i]}
            if nows is not None:
                new_scores["now_comparable"] = nows[i]
            if r.scores_text != json_dumps(new_scores):
                updates.append((r.seq, json_dumps(new_scores), new_scores))
        if updates:
            _write_scores(updates)
        changed = len(updates)
    sums.add("full", rows, full.scores, count=True, sign=sign)
    assert full.details is not None
    sums.add_details(rows, full.details, sign)
    if now is not None:
        sums.add("now_comparable", rows, now, sign=sign)
    return changed


def _lock_cells(campaign_id: int) -> None:
    """Hold the campaign's cell rows until commit, so no submission adds to a row between
    reading what is submitted and writing the rebuilt sums."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT 1 FROM cell WHERE campaign_id = :c FOR UPDATE"), {"c": campaign_id}
        )
    else:
        # Any write takes SQLite's database write lock for the rest of the transaction.
        connection.execute(
            text("UPDATE cell SET responses = responses WHERE campaign_id = :c AND 0"),
            {"c": campaign_id},
        )


def _write_scores(updates: Sequence[tuple[int, str, dict[str, Any]]]) -> None:
    """Replace the stored scores of the given responses: through COPY and two set-based
    statements on PostgreSQL, where a statement per row would dominate a rebuild; with
    executemany on SQLite, where statements are cheap."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS rebuilt_scores (seq integer, scores text)"
                " ON COMMIT DROP"
            )
            cur.execute("TRUNCATE rebuilt_scores")
            with cur.copy("COPY rebuilt_scores (seq, scores) FROM STDIN") as copy:
                for seq, scores_text, _ in updates:
                    copy.write_row((seq, scores_text))
            cur.execute(
                "DELETE FROM respondent_score USING rebuilt_scores"
                " WHERE respondent_score.response_seq = rebuilt_scores.seq"
            )
            cur.execute(
                "INSERT INTO respondent_score (response_seq, scores)"
                " SELECT seq, scores::json FROM rebuilt_scores"
            )
        return
    table = RespondentScore.__table__
    connection.execute(
        delete(table).where(table.c.response_seq == bindparam("s")),
        [{"s": seq} for seq, _, _ in updates],
    )
    connection.execute(
        table.insert(),
        [{"response_seq": seq, "scores": scores} for seq, _, scores in updates],
    )
