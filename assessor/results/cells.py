"""The write path: cell statistics and profile counts, kept current on every submission and
void in the same transaction, and rebuilt from raw answers on demand.

No submission writes a row that other organisations' submissions write: each one updates
only the row of its own cell (campaign, organisation, audience), so submitters to different
organisations never queue on one lock. A cell's statistics and profile counts are two arrays
in that one row (models.results.Cell), so a submission costs two statements, not one per
measure and profile key. A follower campaign's `before_comparable` cells hold
the previous campaign as at its latest publication: a void there reaches them only when the
previous campaign publishes again (`publications.publish`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Text, bindparam, cast, delete, or_, select, text, update

from assessor.config import json_dumps
from assessor.extensions import db
from assessor.models import (
    Campaign,
    Cell,
    Publication,
    RespondentScore,
    Response,
)
from assessor.models.campaign import AUDIENCES
from assessor.models.results import BASES
from assessor.questionnaires.answers import visible
from assessor.questionnaires.comparability import Comparability, compare
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.scoring.encoding import answer_flags, encode_answers
from assessor.scoring.engine import ScoringModel, rung_flags, score_respondents

OVERALL = "overall"


def measures_of(q: Questionnaire) -> list[str]:
    return [OVERALL, *q.domain_keys]


def rung_keys_of(q: Questionnaire) -> list[str]:
    return [f"rung:{d}:{r}" for d in q.domain_keys for r in q.rung_keys]


def item_keys_of(q: Questionnaire) -> list[str]:
    return [f"item:{item.link_id}" for item in q.scored_items]


def detail_keys_of(q: Questionnaire) -> list[str]:
    return [*rung_keys_of(q), *item_keys_of(q)]


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Scored:
    """Scores of many respondents: `scores` (n, 1 + D), overall then each domain, NaN where a
    respondent has no score; `details` (n, K, 5): per detail key the increments of n, a, b, c
    and total (see models.results.Cell)."""

    scores: np.ndarray
    details: np.ndarray | None


_MODELS: dict[int, tuple[Questionnaire, ScoringModel]] = {}
_COMPARISONS: dict[tuple[int, int], tuple[Questionnaire, Questionnaire, Comparability]] = {}


def scoring_model(q: Questionnaire) -> ScoringModel:
    """The engine's model of a questionnaire, built once per definition (definitions are
    cached and immutable, so identity is a safe key while the entry holds them)."""
    found = _MODELS.get(id(q))
    if found is None or found[0] is not q:
        found = _MODELS[id(q)] = (q, ScoringModel.from_questionnaire(q))
    return found[1]


def comparability(current: Questionnaire, previous: Questionnaire) -> Comparability:
    found = _COMPARISONS.get((id(current), id(previous)))
    if found is None or found[0] is not current or found[1] is not previous:
        found = _COMPARISONS[(id(current), id(previous))] = (
            current,
            previous,
            compare(current, previous),
        )
    return found[2]


def score_answers(
    q: Questionnaire,
    answers_list: Sequence[dict[str, Any]],
    only: Iterable[str] | None = None,
    details: bool = False,
) -> Scored:
    values = encode_answers(q, answers_list, only=None if only is None else frozenset(only))
    scored = score_respondents(values, scoring_model(q))
    scores = np.column_stack([scored.overall, scored.domain_scores])
    if not details:
        return Scored(scores, None)
    n = len(answers_list)
    defined, met = rung_flags(scored.attainment, q.threshold)
    rungs = np.zeros((n, defined.shape[1] * defined.shape[2], 5))
    rungs[:, :, 0] = defined.reshape(n, -1)
    rungs[:, :, 1] = met.reshape(n, -1)
    dont_know, not_happening = answer_flags(q, answers_list)
    has_value = ~np.isnan(values)
    items = np.zeros((n, len(q.scored_items), 5))
    items[:, :, 0] = 1
    for c, item in enumerate(q.scored_items):
        if item.enable_when is not None:
            items[:, c, 0] = [visible(q, answers, item.link_id) for answers in answers_list]
    items[:, :, 1] = dont_know
    items[:, :, 2] = not_happening
    items[:, :, 3] = has_value
    items[:, :, 4] = np.where(has_value, values / 4.0, 0.0)
    return Scored(scores, np.concatenate([rungs, items], axis=1))


def respondent_scores(
    q: Questionnaire, answers_list: Sequence[dict[str, Any]], only: Iterable[str] | None = None
) -> np.ndarray:
    """Scores of many respondents as a (n, 1 + D) array: overall, then each domain."""
    return score_answers(q, answers_list, only).scores


def scores_dicts(q: Questionnaire, scores: np.ndarray) -> list[dict[str, Any]]:
    """Rows of respondent scores as stored JSON: NaN becomes null."""
    keys = q.domain_keys
    cells = np.where(np.isnan(scores), None, scores).tolist()
    return [{OVERALL: row[0], "domains": dict(zip(keys, row[1:], strict=True))} for row in cells]


# --------------------------------------------------------------------------- trend context


@dataclass(frozen=True)
class TrendContext:
    previous: Campaign
    comparability: Comparability


def trend_context(campaign: Campaign) -> TrendContext | None:
    """How this campaign compares with its previous one, or None with no previous."""
    if campaign.previous_id is None or campaign.previous is None:
        return None
    return TrendContext(
        previous=campaign.previous,
        comparability=comparability(
            definition_of(campaign.questionnaire), definition_of(campaign.previous.questionnaire)
        ),
    )


def _comparable(campaign: Campaign) -> TrendContext | None:
    context = trend_context(campaign)
    return context if context is not None and context.comparability.trend_possible else None


# --------------------------------------------------------------------------- storage

BASIS = {basis: i for i, basis in enumerate(BASES)}


def shapes_of(q: Questionnaire) -> tuple[tuple[int, int, int], tuple[int, int]]:
    """Shapes of a cell's `stats` and `details` arrays for a questionnaire."""
    return (len(BASES), len(measures_of(q)), 3), (len(detail_keys_of(q)), 5)


def pack(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def unpack(blob: bytes, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f8").reshape(shape)


def put_scores(stats: np.ndarray, basis: str, scores: np.ndarray, sign: int) -> None:
    """Write one respondent's increments of n, sum and sum of squares for `basis` into a
    (3, M, 3) delta; a measure without a score adds nothing."""
    present = ~np.isnan(scores)
    filled = np.where(present, scores, 0.0)
    b = BASIS[basis]
    stats[b, :, 0] = sign * present
    stats[b, :, 1] = sign * filled
    stats[b, :, 2] = sign * filled * filled


_table = Cell.__table__
_KEY = (
    (_table.c.campaign_id == bindparam("c"))
    & (_table.c.org_code == bindparam("o"))
    & (_table.c.audience == bindparam("a"))
)
#: SQLite: an UPDATE takes the database write lock before the arrays are read (a read
#: first could not be upgraded under concurrent writers), and counts the response.
_CLAIM_BY_UPDATE = (
    update(_table)
    .where(_KEY)
    .values(responses=_table.c.responses + bindparam("dr"))
    .returning(_table.c.stats, _table.c.details)
)
#: PostgreSQL: a row lock, so that the submission writes one new row version, not two.
_CLAIM_BY_LOCK = select(_table.c.stats, _table.c.details).where(_KEY).with_for_update()
_WRITE_STATS = (
    update(_table)
    .where(_KEY)
    .values(responses=_table.c.responses + bindparam("dr"), stats=bindparam("s"))
)
_WRITE_BOTH = (
    update(_table)
    .where(_KEY)
    .values(
        responses=_table.c.responses + bindparam("dr"),
        stats=bindparam("s"),
        details=bindparam("d"),
    )
)
_WRITE_ALL = (
    update(_table)
    .where(_KEY)
    .values(responses=bindparam("r"), stats=bindparam("s"), details=bindparam("d"))
)


@dataclass(frozen=True)
class Claim:
    """A cell's arrays as read under its lock, and the count still to add when written."""

    stats: bytes
    details: bytes
    responses: int


def claim_cell(campaign_id: int, org_code: str, audience: str, responses: int) -> Claim | None:
    """Lock a cell's row and read its arrays, to add `responses` to its count when written;
    None (nothing changed) when the campaign has no such cell."""
    connection = db.session.connection()
    key = {"c": campaign_id, "o": org_code, "a": audience}
    if connection.dialect.name == "postgresql":
        row = connection.execute(_CLAIM_BY_LOCK, key).one_or_none()
        pending = responses
    else:
        row = connection.execute(_CLAIM_BY_UPDATE, {**key, "dr": responses}).one_or_none()
        pending = 0
    return None if row is None else Claim(row.stats, row.details, pending)


def _write_cell(
    campaign_id: int,
    org_code: str,
    audience: str,
    q: Questionnaire,
    claimed: Claim,
    stats: np.ndarray,
    details: np.ndarray | None,
) -> None:
    """Write a claimed cell's arrays back with the increments added (float64 `+`, as a
    rebuild adds them)."""
    stat_shape, detail_shape = shapes_of(q)
    values = {
        "c": campaign_id,
        "o": org_code,
        "a": audience,
        "dr": claimed.responses,
        "s": pack(unpack(claimed.stats, stat_shape) + stats),
    }
    if details is None:
        db.session.connection().execute(_WRITE_STATS, values)
    else:
        values["d"] = pack(unpack(claimed.details, detail_shape) + details)
        db.session.connection().execute(_WRITE_BOTH, values)


def _apply(
    campaign_id: int,
    org_code: str,
    audience: str,
    q: Questionnaire,
    responses: int,
    stats: np.ndarray,
    details: np.ndarray | None = None,
) -> None:
    """Add increments to one cell's row (two statements)."""
    claimed = claim_cell(campaign_id, org_code, audience, responses)
    if claimed is None:
        raise LookupError(f"campaign {campaign_id} has no cell ({org_code}, {audience})")
    _write_cell(campaign_id, org_code, audience, q, claimed, stats, details)


# --------------------------------------------------------------------------- writing


def initialise_cells(campaign: Campaign) -> None:
    """Create the row of every cell, holding the previous campaign's rescored statistics (as
    at its latest publication), so that submissions only ever add to existing rows."""
    q = definition_of(campaign.questionnaire)
    sums = _Sums(q, [m.org_code for m in campaign.members])
    context = _comparable(campaign)
    if context is not None:
        _accumulate_previous(campaign, context, sums)
    rows = [
        {
            "campaign_id": campaign.id,
            "org_code": org,
            "audience": audience,
            "responses": 0,
            "stats": pack(sums.stats[i]),
            "details": pack(sums.details[i]),
        }
        for (org, audience), i in sums.index.items()
    ]
    if rows:
        db.session.execute(_table.insert(), rows)


def record_response(
    response: Response, campaign: Campaign, sign: int = 1, claimed: Claim | None = None
) -> dict[str, Any]:
    """Score a submitted response and add it to (sign=+1) or remove it from (sign=-1) its
    own cell's statistics and profile counts. Returns the respondent's scores. `claimed`:
    the cell as `claim_cell` already returned it for this response (with `sign`)."""
    q = definition_of(campaign.questionnaire)
    full = score_answers(q, [response.answers], details=True)
    scores: dict[str, Any] = {"full": scores_dicts(q, full.scores)[0]}
    stats = np.zeros(shapes_of(q)[0])
    put_scores(stats, "full", full.scores[0], sign)
    context = _comparable(campaign)
    if context is not None:
        now = respondent_scores(
            q, [response.answers], only=context.comparability.items_for_rescoring_current
        )[0]
        scores["now_comparable"] = scores_dicts(q, now[None, :])[0]
        put_scores(stats, "now_comparable", now, sign)
    assert full.details is not None
    key = (campaign.id, response.org_code, response.audience)
    if claimed is None:
        _apply(*key, q, sign, stats, sign * full.details[0])
    else:
        _write_cell(*key, q, claimed, stats, sign * full.details[0])
    return scores


def remove_from_followers(previous: Campaign, voided: Sequence[Response]) -> None:
    """Take responses voided since the previous campaign's last publication out of its
    followers' baseline, now that a new publication of it no longer counts them."""
    if not voided:
        return
    followers = db.session.scalars(select(Campaign).where(Campaign.previous_id == previous.id))
    previous_q = definition_of(previous.questionnaire)
    for follower in followers:
        context = _comparable(follower)
        if context is None:
            continue
        members = {m.org_code for m in follower.members}
        rows = [r for r in voided if r.org_code in members]
        if not rows:
            continue
        follower_q = definition_of(follower.questionnaire)
        before = _aligned_previous_scores(follower, previous_q, context, rows)
        for r, values in zip(rows, before, strict=True):
            stats = np.zeros(shapes_of(follower_q)[0])
            put_scores(stats, "before_comparable", values, -1)
            _apply(follower.id, r.org_code, r.audience, follower_q, 0, stats)


def _aligned_previous_scores(
    campaign: Campaign, previous_q: Questionnaire, context: TrendContext, rows: Sequence[Any]
) -> np.ndarray:
    """The previous campaign's respondents rescored on the comparable items, with columns in
    this campaign's domain order (matched by key)."""
    before = respondent_scores(
        previous_q,
        [r.answers for r in rows],
        only=context.comparability.items_for_rescoring_previous,
    )
    current_q = definition_of(campaign.questionnaire)
    aligned = np.full((len(rows), 1 + len(current_q.domain_keys)), np.nan)
    aligned[:, 0] = before[:, 0]
    for j, key in enumerate(current_q.domain_keys):
        if key in previous_q.domain_keys:
            aligned[:, 1 + j] = before[:, 1 + previous_q.domain_keys.index(key)]
    return aligned


def counted_in_latest_publication(campaign_id: int) -> Any:
    """Rows of a campaign as its latest publication counted them: submitted, or voided after
    it was made (a trend reads the previous campaign as published)."""
    number = (
        select(Publication.number)
        .where(Publication.campaign_id == campaign_id)
        .order_by(Publication.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    return or_(
        Response.status == "submitted",
        (Response.status == "voided") & (Response.voided_after >= number),
    )


def _accumulate_previous(campaign: Campaign, context: TrendContext, sums: _Sums) -> None:
    previous_q = definition_of(context.previous.questionnaire)
    members = {m.org_code for m in campaign.members}
    rows = [
        r
        for r in db.session.execute(
            select(Response.org_code, Response.audience, Response.answers)
            .where(
                Response.campaign_id == context.previous.id,
                counted_in_latest_publication(context.previous.id),
            )
            .order_by(Response.seq)
        ).all()
        if r.org_code in members
    ]
    if rows:
        sums.add(
            "before_comparable", rows, _aligned_previous_scores(campaign, previous_q, context, rows)
        )


# --------------------------------------------------------------------------- rebuild


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
    context = _comparable(campaign)
    sums = _Sums(q, [m.org_code for m in campaign.members])
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
        _accumulate_previous(campaign, context, sums)

    _write_sums(campaign.id, sums)
    return {"responses": len(current), "scores_changed": changed_scores}


def _add_rows(
    q: Questionnaire,
    context: TrendContext | None,
    rows: Sequence[Any],
    sums: _Sums,
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


class _Sums:
    """Per-cell running statistics for a rebuild, shaped as the rows store them: per
    (organisation, audience) the responses counted, `stats` (3, M, 3) and `details` (K, 5).

    `np.add.at` adds each respondent in turn, in submission order, exactly as the
    incremental path adds them one submission at a time, so both give the same
    floating-point sums to the last bit."""

    def __init__(self, q: Questionnaire, org_codes: Iterable[str]) -> None:
        self.index = {key: i for i, key in enumerate((o, a) for o in org_codes for a in AUDIENCES)}
        stat_shape, detail_shape = shapes_of(q)
        self.responses = np.zeros(len(self.index), dtype=np.int64)
        self.stats = np.zeros((len(self.index), *stat_shape))
        self.details = np.zeros((len(self.index), *detail_shape))

    def _cells(self, rows: Sequence[Any]) -> np.ndarray:
        return np.fromiter(
            (self.index[(r.org_code, r.audience)] for r in rows), dtype=np.int64, count=len(rows)
        )

    def add(
        self,
        basis: str,
        rows: Sequence[Any],
        scores: np.ndarray,
        count: bool = False,
        sign: int = 1,
    ) -> None:
        cells = self._cells(rows)
        present = ~np.isnan(scores)
        filled = np.where(present, scores, 0.0)
        b = BASIS[basis]
        np.add.at(self.stats[:, b, :, 0], cells, sign * present)
        np.add.at(self.stats[:, b, :, 1], cells, sign * filled)
        np.add.at(self.stats[:, b, :, 2], cells, sign * filled * filled)
        if count:
            np.add.at(self.responses, cells, sign)

    def add_details(self, rows: Sequence[Any], details: np.ndarray, sign: int) -> None:
        np.add.at(self.details, self._cells(rows), sign * details)


def _write_sums(campaign_id: int, sums: _Sums) -> None:
    """Overwrite every cell row of the campaign in place (a submission waiting on a row's
    lock then adds to the rebuilt values), creating rows that are missing."""
    existing = set(
        db.session.execute(
            select(_table.c.org_code, _table.c.audience).where(_table.c.campaign_id == campaign_id)
        ).all()
    )
    missing = [key for key in sums.index if key not in existing]
    if missing:
        db.session.execute(
            _table.insert(),
            [
                {"campaign_id": campaign_id, "org_code": o, "audience": a, "responses": 0}
                | {"stats": b"", "details": b""}
                for o, a in missing
            ],
        )
    db.session.connection().execute(
        _WRITE_ALL,
        [
            {
                "c": campaign_id,
                "o": org,
                "a": audience,
                "r": int(sums.responses[i]),
                "s": pack(sums.stats[i]),
                "d": pack(sums.details[i]),
            }
            for (org, audience), i in sums.index.items()
        ],
    )


def statistics(campaign: Campaign) -> dict[tuple[str, str, str, str], tuple[int, float, float]]:
    """Every maintained statistic of a campaign as (n, sum, sum of squares) keyed by
    (organisation, audience, basis, measure), with each cell's response count under
    measure `*responses`: for checking maintained statistics against a rebuild."""
    q = definition_of(campaign.questionnaire)
    stat_shape, _ = shapes_of(q)
    measures = measures_of(q)
    found: dict[tuple[str, str, str, str], tuple[int, float, float]] = {}
    for org, audience, responses, blob in db.session.execute(
        select(_table.c.org_code, _table.c.audience, _table.c.responses, _table.c.stats).where(
            _table.c.campaign_id == campaign.id
        )
    ):
        found[(org, audience, "full", "*responses")] = (responses, 0.0, 0.0)
        stats = unpack(blob, stat_shape)
        for b, basis in enumerate(BASES):
            for j, measure in enumerate(measures):
                n, total, total_sq = stats[b, j]
                found[(org, audience, basis, measure)] = (int(n), float(total), float(total_sq))
    return found


def profile_counts(campaign: Campaign) -> dict[tuple[str, str, str], tuple[float, ...]]:
    """Every maintained profile count of a campaign as (n, a, b, c, total), keyed by
    (organisation, audience, detail key): for checking them against a rebuild."""
    q = definition_of(campaign.questionnaire)
    _, detail_shape = shapes_of(q)
    keys = detail_keys_of(q)
    found: dict[tuple[str, str, str], tuple[float, ...]] = {}
    for org, audience, blob in db.session.execute(
        select(_table.c.org_code, _table.c.audience, _table.c.details).where(
            _table.c.campaign_id == campaign.id
        )
    ):
        for key, row in zip(keys, unpack(blob, detail_shape), strict=True):
            found[(org, audience, key)] = tuple(float(v) for v in row)
    return found
