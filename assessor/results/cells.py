"""The write path: cell statistics and profile counts, kept current on every submission and
void in the same transaction (`rebuild.py` rebuilds them from raw answers on demand).

No submission writes a row that other organisations' submissions write: each one updates
only the row of its own cell (campaign, organisation, audience), so submitters to different
organisations never queue on one lock. A cell's statistics and profile counts are two arrays
in that one row (models.results.Cell), so a submission costs two statements, not one per
measure and profile key. A follower campaign's `before_comparable` cells hold
the previous campaign as at its latest publication: a void there reaches them only when the
previous campaign publishes again (`publications.publish`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import bindparam, or_, select, update

from assessor.extensions import db
from assessor.models import Campaign, Cell, Publication, Response
from assessor.models.campaign import AUDIENCES
from assessor.models.results import BASES
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.results.scores import (
    TrendContext,
    comparable_context,
    detail_keys_of,
    measures_of,
    respondent_scores,
    score_answers,
    scores_dicts,
)

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
    sums = Sums(q, [m.org_code for m in campaign.members])
    context = comparable_context(campaign)
    if context is not None:
        accumulate_previous(campaign, context, sums)
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
    context = comparable_context(campaign)
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
        context = comparable_context(follower)
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


def accumulate_previous(campaign: Campaign, context: TrendContext, sums: Sums) -> None:
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


class Sums:
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


def write_sums(campaign_id: int, sums: Sums) -> None:
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
