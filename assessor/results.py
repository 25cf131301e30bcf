"""The results service: the one place between the database and the scoring engine.

Writing: every submission (and every void) updates its cell's sufficient statistics
(n, sum, sum of squares per measure) in the same transaction, and bumps the campaign's
`results_version`. Reading: every score, interval, gap, trend, percentile and funnel band is
derived from those cell statistics in O(organisations), never from raw answers, and cached
in process under (campaign id, results_version), a number that every worker reads from the
database, so no worker serves results older than its last read of that counter.

`rebuild()` recomputes everything from raw answers; it must agree with the maintained
statistics (tests/test_results_service.py proves it after a series of submissions).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Text, bindparam, cast, delete, event, func, select, update
from sqlalchemy.orm import Session

from assessor.benchmarking.cells import (
    CellSummary,
    Comparison,
    combine,
    delta,
    delta_combined,
    gap,
    summarise_cells,
)
from assessor.benchmarking.funnel import Funnel, funnel_from_cells, funnel_from_values
from assessor.benchmarking.groups import group_statistics, percentile_ranks
from assessor.config import json_dumps
from assessor.extensions import db
from assessor.models import (
    Campaign,
    CampaignOrganisation,
    CellStat,
    Invitation,
    RespondentScore,
    Response,
    utcnow,
)
from assessor.models.campaign import AUDIENCES
from assessor.models.results import BASES
from assessor.questionnaires.comparability import Comparability, compare
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.scoring.encoding import encode_answers
from assessor.scoring.engine import ScoringModel, level_of, score_respondents

RULES = "1"
#: The measure row that counts every submitted response of a cell, scored or not.
RESPONSES = "*responses"
OVERALL = "overall"
GROUP_BYS = ("national", "region", "peer_group")
RESULT_AUDIENCES = ("staff", "patient_leader", "combined")
#: Session.info key: campaigns whose results this transaction has changed.
_CHANGED = "assessor.results_changed"


# --------------------------------------------------------------------------- scoring one


def measures_of(q: Questionnaire) -> list[str]:
    return [OVERALL, *q.domain_keys]


def respondent_scores(
    q: Questionnaire, answers_list: Sequence[dict[str, Any]], only: Iterable[str] | None = None
) -> np.ndarray:
    """Scores of many respondents as a (n, 1 + D) array: overall, then each domain; NaN
    where a respondent has no score for that measure."""
    values = encode_answers(q, answers_list, only=None if only is None else frozenset(only))
    scores = score_respondents(values, ScoringModel.from_questionnaire(q))
    return np.column_stack([scores.overall, scores.domain_scores])


def _scores_dict(q: Questionnaire, row: np.ndarray) -> dict[str, Any]:
    return _scores_dicts(q, row[None, :])[0]


def _scores_dicts(q: Questionnaire, scores: np.ndarray) -> list[dict[str, Any]]:
    """Rows of respondent_scores() as stored JSON: NaN becomes null."""
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
    if campaign.previous is None:
        return None
    return TrendContext(
        previous=campaign.previous,
        comparability=compare(
            definition_of(campaign.questionnaire), definition_of(campaign.previous.questionnaire)
        ),
    )


# --------------------------------------------------------------------------- cells: writing


def initialise_cells(campaign: Campaign) -> None:
    """Create the zeroed statistic rows of every cell, then fill the previous campaign's
    rescored statistics, so that later submissions only ever increment."""
    q = definition_of(campaign.questionnaire)
    _insert_zero_cells(campaign, q)
    context = trend_context(campaign)
    if context is not None and context.comparability.trend_possible:
        sums = _Sums([m.org_code for m in campaign.members], len(measures_of(q)))
        _accumulate_previous(campaign, context, sums)
        _write_sums(campaign.id, measures_of(q), sums)


def _accumulate_previous(campaign: Campaign, context: TrendContext, sums: _Sums) -> None:
    """The previous campaign's respondents, rescored on the items comparable with this one."""
    previous_q = definition_of(context.previous.questionnaire)
    members = {m.org_code for m in campaign.members}
    rows = [
        r
        for r in db.session.execute(
            select(Response.org_code, Response.audience, Response.answers)
            .where(Response.campaign_id == context.previous.id, Response.status == "submitted")
            .order_by(Response.seq)
        ).all()
        if r.org_code in members
    ]
    if rows:
        before = respondent_scores(
            previous_q,
            [r.answers for r in rows],
            only=context.comparability.items_for_rescoring_previous,
        )
        # Columns follow the previous version's domain order; cells follow this campaign's.
        current_q = definition_of(campaign.questionnaire)
        aligned = np.full((len(rows), 1 + len(current_q.domain_keys)), np.nan)
        aligned[:, 0] = before[:, 0]
        for j, key in enumerate(current_q.domain_keys):
            if key in previous_q.domain_keys:
                aligned[:, 1 + j] = before[:, 1 + previous_q.domain_keys.index(key)]
        sums.add("before_comparable", rows, aligned)


def _cell_update(**values: Any) -> Any:
    """An executemany UPDATE of cell rows keyed by the parameters c, o, a, b and m."""
    table = CellStat.__table__
    return (
        update(table)
        .where(
            table.c.campaign_id == bindparam("c"),
            table.c.org_code == bindparam("o"),
            table.c.audience == bindparam("a"),
            table.c.basis == bindparam("b"),
            table.c.measure == bindparam("m"),
        )
        .values(**values)
    )


def _increment(
    campaign_id: int,
    org_code: str,
    audience: str,
    basis: str,
    measures: Sequence[str],
    values: Sequence[float],
    sign: int,
) -> None:
    params = [
        {
            "c": campaign_id,
            "o": org_code,
            "a": audience,
            "b": basis,
            "m": measure,
            "dn": sign,
            "dt": sign * value,
            "dq": sign * value * value,
        }
        for measure, value in zip(measures, values, strict=True)
        if not math.isnan(value)
    ]
    if not params:
        return
    table = CellStat.__table__
    stmt = _cell_update(
        n=table.c.n + bindparam("dn"),
        total=table.c.total + bindparam("dt"),
        total_sq=table.c.total_sq + bindparam("dq"),
    )
    db.session.connection().execute(stmt, params)


def mark_changed(campaign_ids: Iterable[int]) -> None:
    """Mark the campaigns' results as changed, for every worker (the counter) and for this
    transaction (which must not cache what it computes until it has committed)."""
    ids = set(campaign_ids)
    db.session.info.setdefault(_CHANGED, set()).update(ids)
    for campaign_id in ids:
        db.session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(results_version=Campaign.results_version + 1)
            .execution_options(synchronize_session=False)
        )


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def record_response(response: Response, campaign: Campaign, sign: int = 1) -> dict[str, Any]:
    """Score a submitted response and add it to (sign=+1) or remove it from (sign=-1) every
    cell statistic it counts in: its own campaign's, and the rescored statistics of any
    campaign that names this one as its previous. Returns the respondent's scores."""
    q = definition_of(campaign.questionnaire)
    measures = measures_of(q)
    full = respondent_scores(q, [response.answers])[0]
    scores: dict[str, Any] = {"full": _scores_dict(q, full)}
    key = (campaign.id, response.org_code, response.audience)
    _increment(*key, "full", [RESPONSES], [1.0], sign)
    _increment(*key, "full", measures, list(full), sign)
    touched = [campaign.id]

    context = trend_context(campaign)
    if context is not None and context.comparability.trend_possible:
        now = respondent_scores(
            q, [response.answers], only=context.comparability.items_for_rescoring_current
        )[0]
        scores["now_comparable"] = _scores_dict(q, now)
        _increment(*key, "now_comparable", measures, list(now), sign)

    followers = db.session.scalars(select(Campaign).where(Campaign.previous_id == campaign.id))
    for follower in followers:
        if db.session.get(CampaignOrganisation, (follower.id, response.org_code)) is None:
            continue
        follower_context = trend_context(follower)
        if follower_context is None or not follower_context.comparability.trend_possible:
            continue
        before = respondent_scores(
            q,
            [response.answers],
            only=follower_context.comparability.items_for_rescoring_previous,
        )[0]
        _increment(
            follower.id,
            response.org_code,
            response.audience,
            "before_comparable",
            measures,
            list(before),
            sign,
        )
        touched.append(follower.id)
    mark_changed(touched)
    return scores


# --------------------------------------------------------------------------- rebuild


def rebuild(
    campaign: Campaign,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 5000,
) -> dict[str, int]:
    """Recompute every cell statistic and stored respondent score of a campaign from raw
    answers. Respondent scores are written back only where they changed."""
    q = definition_of(campaign.questionnaire)
    measures = measures_of(q)
    context = trend_context(campaign)
    comparable = context is not None and context.comparability.trend_possible

    db.session.execute(delete(CellStat).where(CellStat.campaign_id == campaign.id))
    db.session.flush()
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    _insert_zero_cells(campaign, q)

    sums = _Sums([m.org_code for m in campaign.members], len(measures))
    rescored = 0
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
        answers = [r.answers for r in rows]
        full = respondent_scores(q, answers)
        now = (
            respondent_scores(q, answers, only=context.comparability.items_for_rescoring_current)
            if comparable
            else None
        )
        fulls = _scores_dicts(q, full)
        nows = _scores_dicts(q, now) if now is not None else None
        updates = []
        for i, r in enumerate(rows):
            new_scores: dict[str, Any] = {"full": fulls[i]}
            if nows is not None:
                new_scores["now_comparable"] = nows[i]
            text = json_dumps(new_scores)
            if r.scores_text != text:
                updates.append((r.seq, text, new_scores))
        if updates:
            _write_scores(updates)
            changed_scores += len(updates)
        sums.add("full", rows, full, count=True)
        if now is not None:
            sums.add("now_comparable", rows, now)
        rescored += len(rows)
        if progress:
            progress(len(rows))

    if comparable:
        _accumulate_previous(campaign, context, sums)

    _write_sums(campaign.id, measures, sums)
    mark_changed([campaign.id])
    return {"responses": rescored, "scores_changed": changed_scores}


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
                for seq, text, _ in updates:
                    copy.write_row((seq, text))
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


def _insert_zero_cells(campaign: Campaign, q: Questionnaire) -> None:
    rows = []
    for member in campaign.members:
        for audience in AUDIENCES:
            for basis, measures in (
                ("full", [RESPONSES, *measures_of(q)]),
                ("now_comparable", measures_of(q)),
                ("before_comparable", measures_of(q)),
            ):
                rows.extend(
                    {
                        "campaign_id": campaign.id,
                        "org_code": member.org_code,
                        "audience": audience,
                        "basis": basis,
                        "measure": m,
                        "n": 0,
                        "total": 0.0,
                        "total_sq": 0.0,
                    }
                    for m in measures
                )
    if rows:
        db.session.execute(CellStat.__table__.insert(), rows)


class _Sums:
    """Per-cell running n, sum and sum of squares for a rebuild, one row per (organisation,
    audience, basis) and one column per measure (column 0 counts responses).

    `np.add.at` adds each respondent in turn, in submission order, exactly as the
    incremental path adds them one UPDATE at a time, so both give the same floating-point
    sums to the last bit."""

    def __init__(self, org_codes: Iterable[str], n_measures: int) -> None:
        keys = [(o, a, b) for o in org_codes for a in AUDIENCES for b in BASES]
        self.index = {key: i for i, key in enumerate(keys)}
        self.n = np.zeros((len(keys), n_measures + 1))
        self.total = np.zeros((len(keys), n_measures + 1))
        self.total_sq = np.zeros((len(keys), n_measures + 1))

    def add(self, basis: str, rows: Sequence[Any], scores: np.ndarray, count: bool = False) -> None:
        cells = np.fromiter(
            (self.index[(r.org_code, r.audience, basis)] for r in rows),
            dtype=np.int64,
            count=len(rows),
        )
        present = ~np.isnan(scores)
        filled = np.where(present, scores, 0.0)
        np.add.at(self.n[:, 1:], cells, present)
        np.add.at(self.total[:, 1:], cells, filled)
        np.add.at(self.total_sq[:, 1:], cells, filled * filled)
        if count:
            ones = np.ones(len(rows))
            for target in (self.n, self.total, self.total_sq):
                np.add.at(target[:, 0], cells, ones)


def _write_sums(campaign_id: int, measures: Sequence[str], sums: _Sums) -> None:
    names = [RESPONSES, *measures]
    params = []
    for (org, audience, basis), i in sums.index.items():
        for j, name in enumerate(names):
            n = int(sums.n[i, j])
            if n == 0 or (j == 0 and basis != "full"):
                continue
            params.append(
                {
                    "c": campaign_id,
                    "o": org,
                    "a": audience,
                    "b": basis,
                    "m": name,
                    "n": n,
                    "t": float(sums.total[i, j]),
                    "q": float(sums.total_sq[i, j]),
                }
            )
    if not params:
        return
    db.session.connection().execute(
        _cell_update(n=bindparam("n"), total=bindparam("t"), total_sq=bindparam("q")), params
    )


# --------------------------------------------------------------------------- cells: reading


@dataclass(frozen=True)
class TrendSet:
    context: TrendContext
    now: dict[str, CellSummary]
    before: dict[str, CellSummary]
    deltas: dict[str, Comparison]
    combined_now: Comparison
    combined_before: Comparison


@dataclass(frozen=True)
class ResultSet:
    """Every number of a campaign's results, as arrays of shape (organisations, measures)."""

    campaign_id: int
    results_version: int
    computed_at: datetime
    q: Questionnaire
    measures: list[str]
    orgs: list[str]
    names: list[str]
    regions: np.ndarray
    peer_groups: np.ndarray
    responses: dict[str, np.ndarray]
    eligible: dict[str, list[int | None]]
    cells: dict[str, CellSummary]
    combined: Comparison
    gap: Comparison
    raw: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    trend: TrendSet | None
    trend_reason: str | None
    percentiles: dict[tuple[str, str], np.ndarray]
    bands: dict[tuple[str, str], np.ndarray]
    funnels: dict[tuple[str, str, str], list[Funnel]]

    def values(self, audience: str) -> tuple[np.ndarray, np.ndarray]:
        if audience == "combined":
            return self.combined.value, self.combined.shown
        return self.cells[audience].mean, self.cells[audience].shown

    def group_labels(self, group_by: str) -> np.ndarray:
        if group_by == "national":
            return np.full(len(self.orgs), "national", dtype=object)
        return self.regions if group_by == "region" else self.peer_groups


_CACHE: OrderedDict[tuple[int, datetime, int], ResultSet] = OrderedDict()
_CACHE_SIZE = 16


def current_version(campaign: Campaign) -> int:
    """The campaign's results_version as the database holds it now (not as this session
    last loaded it), so a cache entry is never read past a change."""
    return int(
        db.session.scalar(select(Campaign.results_version).where(Campaign.id == campaign.id))
    )


def result_set(campaign: Campaign) -> ResultSet:
    """The campaign's computed results, cached under (id, creation time, results_version).

    A transaction that has itself changed the campaign's results computes afresh and caches
    nothing: were it rolled back, its counter value would be reused for other data."""
    version = current_version(campaign)
    if campaign.id in db.session.info.get(_CHANGED, ()):
        return _compute(campaign, version)
    key = (campaign.id, campaign.created_at, version)
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    computed = _compute(campaign, version)
    _CACHE[key] = computed
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return computed


def _load(campaign: Campaign, measures: list[str]) -> tuple[list[CampaignOrganisation], dict]:
    members = db.session.scalars(
        select(CampaignOrganisation)
        .where(CampaignOrganisation.campaign_id == campaign.id)
        .order_by(CampaignOrganisation.org_code)
    ).all()
    org_index = {m.org_code: i for i, m in enumerate(members)}
    measure_index = {m: j for j, m in enumerate(measures)}
    shape = (len(members), len(measures))
    arrays: dict[tuple[str, str], list[np.ndarray]] = {}
    responses = {a: np.zeros(len(members), dtype=np.int64) for a in AUDIENCES}
    for row in db.session.execute(
        select(
            CellStat.org_code,
            CellStat.audience,
            CellStat.basis,
            CellStat.measure,
            CellStat.n,
            CellStat.total,
            CellStat.total_sq,
        ).where(CellStat.campaign_id == campaign.id)
    ):
        i = org_index.get(row.org_code)
        if i is None:
            continue
        if row.measure == RESPONSES:
            responses[row.audience][i] = row.n
            continue
        j = measure_index.get(row.measure)
        if j is None:
            continue
        slot = arrays.get((row.basis, row.audience))
        if slot is None:
            slot = arrays[(row.basis, row.audience)] = [
                np.zeros(shape, dtype=np.int64),
                np.zeros(shape),
                np.zeros(shape),
            ]
        slot[0][i, j] = row.n
        slot[1][i, j] = row.total
        slot[2][i, j] = row.total_sq
    for basis in ("full", "now_comparable", "before_comparable"):
        for audience in AUDIENCES:
            arrays.setdefault(
                (basis, audience),
                [np.zeros(shape, dtype=np.int64), np.zeros(shape), np.zeros(shape)],
            )
    return members, {"arrays": arrays, "responses": responses}


def _compute(campaign: Campaign, version: int) -> ResultSet:
    q = definition_of(campaign.questionnaire)
    measures = measures_of(q)
    members, loaded = _load(campaign, measures)
    arrays = loaded["arrays"]
    k = campaign.min_respondents
    cells = {a: summarise_cells(*arrays[("full", a)], k) for a in AUDIENCES}
    raw = {a: tuple(arrays[("full", a)]) for a in AUDIENCES}
    combined = combine(cells["staff"], cells["patient_leader"])
    gaps = gap(cells["staff"], cells["patient_leader"])

    trend = None
    context = trend_context(campaign)
    if context is None:
        trend_reason: str | None = "no_previous"
    elif not context.comparability.trend_possible:
        trend_reason = "not_comparable"
    else:
        trend_reason = None
        now = {a: summarise_cells(*arrays[("now_comparable", a)], k) for a in AUDIENCES}
        before = {a: summarise_cells(*arrays[("before_comparable", a)], k) for a in AUDIENCES}
        combined_now = combine(now["staff"], now["patient_leader"])
        combined_before = combine(before["staff"], before["patient_leader"])
        deltas = {a: delta(now[a], before[a]) for a in AUDIENCES}
        deltas["combined"] = delta_combined(combined_now, combined_before)
        trend = TrendSet(context, now, before, deltas, combined_now, combined_before)

    rs = ResultSet(
        campaign_id=campaign.id,
        results_version=version,
        computed_at=utcnow(),
        q=q,
        measures=measures,
        orgs=[m.org_code for m in members],
        names=[m.organisation.name for m in members],
        regions=np.array([m.region for m in members], dtype=object),
        peer_groups=np.array([m.peer_group for m in members], dtype=object),
        responses={a: loaded["responses"][a] for a in AUDIENCES},
        eligible={
            "staff": [m.eligible_staff for m in members],
            "patient_leader": [m.eligible_patient_leader for m in members],
        },
        cells=cells,
        combined=combined,
        gap=gaps,
        raw=raw,
        trend=trend,
        trend_reason=trend_reason,
        percentiles={},
        bands={},
        funnels={},
    )
    for audience in RESULT_AUDIENCES:
        for group_by in GROUP_BYS:
            _benchmark(rs, audience, group_by)
    return rs


def _benchmark(rs: ResultSet, audience: str, group_by: str) -> None:
    values, shown = rs.values(audience)
    labels = rs.group_labels(group_by)
    uniques = sorted(set(labels.tolist()))
    position = {label: g for g, label in enumerate(uniques)}
    group_ids = np.array([position[label] for label in labels], dtype=np.int64)
    n_orgs, n_measures = values.shape
    percentiles = np.full(values.shape, np.nan)
    bands = np.full(values.shape, None, dtype=object)
    for j in range(n_measures):
        percentiles[:, j] = percentile_ranks(values[:, j], shown[:, j], group_ids)
    for g, label in enumerate(uniques):
        idx = np.flatnonzero(group_ids == g)
        funnels = []
        for j in range(n_measures):
            if audience == "combined":
                f = funnel_from_values(
                    rs.combined.value[idx, j], rs.combined.se[idx, j], shown[idx, j]
                )
            else:
                n, total, total_sq = rs.raw[audience]
                f = funnel_from_cells(n[idx, j], total[idx, j], total_sq[idx, j], shown[idx, j])
            bands[idx, j] = f.bands
            funnels.append(f)
        rs.funnels[(audience, group_by, label)] = funnels
    rs.percentiles[(audience, group_by)] = percentiles
    rs.bands[(audience, group_by)] = bands


# --------------------------------------------------------------------------- presenting


def is_published(campaign: Campaign) -> bool:
    return campaign.status == "closed"


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _interval(lo: Any, hi: Any) -> list[float | None] | None:
    lo, hi = _num(lo), _num(hi)
    return None if lo is None or hi is None else [lo, hi]


def _level(rs: ResultSet, value: float | None) -> tuple[int | None, str | None]:
    if value is None:
        return None, None
    level = int(level_of(np.array([value]), len(rs.q.rungs))[0])
    return level, rs.q.level_key(level)


def _null_measure(reason: str) -> dict[str, Any]:
    return {
        "score": None,
        "level": None,
        "level_key": None,
        "n": None,
        "ci95": None,
        "suppressed": True,
        "reason": reason,
        "percentile": {g: None for g in GROUP_BYS},
        "funnel": {g: None for g in GROUP_BYS},
    }


def _measure(rs: ResultSet, audience: str, i: int, j: int) -> dict[str, Any]:
    if audience == "combined":
        c = rs.combined
        shown = bool(c.shown[i, j])
        if not shown:
            return _null_measure(str(c.reason[i, j]))
        value, n = c.value[i, j], rs.cells["staff"].n[i, j] + rs.cells["patient_leader"].n[i, j]
        lo, hi = c.ci_low[i, j], c.ci_high[i, j]
    else:
        s = rs.cells[audience]
        if not bool(s.shown[i, j]):
            return _null_measure("below_minimum")
        value, n, lo, hi = s.mean[i, j], s.n[i, j], s.ci_low[i, j], s.ci_high[i, j]
    score = _num(value)
    level, level_key = _level(rs, score)
    return {
        "score": score,
        "level": level,
        "level_key": level_key,
        "n": int(n),
        "ci95": _interval(lo, hi),
        "suppressed": False,
        "reason": None,
        "percentile": {g: _num(rs.percentiles[(audience, g)][i, j]) for g in GROUP_BYS},
        "funnel": {g: rs.bands[(audience, g)][i, j] for g in GROUP_BYS},
    }


def _gap_measure(rs: ResultSet, i: int, j: int) -> dict[str, Any]:
    g = rs.gap
    if not bool(g.shown[i, j]):
        return {
            "staff_minus_patient_leader": None,
            "ci95": None,
            "significant": None,
            "suppressed": True,
            "reason": str(g.reason[i, j]),
        }
    return {
        "staff_minus_patient_leader": _num(g.value[i, j]),
        "ci95": _interval(g.ci_low[i, j], g.ci_high[i, j]),
        "significant": bool(g.significant[i, j]),
        "suppressed": False,
        "reason": None,
    }


def _null_trend_measure(reason: str) -> dict[str, Any]:
    return {
        "before": None,
        "now": None,
        "delta": None,
        "ci95": None,
        "significant": None,
        "suppressed": True,
        "reason": reason,
    }


def _trend_measure(rs: ResultSet, audience: str, i: int, j: int) -> dict[str, Any]:
    t = rs.trend
    assert t is not None
    d = t.deltas[audience]
    if not bool(d.shown[i, j]):
        return _null_trend_measure(str(d.reason[i, j] or "below_minimum"))
    if audience == "combined":
        before, now = t.combined_before.value[i, j], t.combined_now.value[i, j]
    else:
        before, now = t.before[audience].mean[i, j], t.now[audience].mean[i, j]
    return {
        "before": _num(before),
        "now": _num(now),
        "delta": _num(d.value[i, j]),
        "ci95": _interval(d.ci_low[i, j], d.ci_high[i, j]),
        "significant": bool(d.significant[i, j]),
        "suppressed": False,
        "reason": None,
    }


def _reason_when_all_null(body: dict[str, Any]) -> str | None:
    """A gap's or trend's own reason: set only when none of its measures could be computed."""
    measures = [body[OVERALL], *body["domains"].values()]
    return body[OVERALL]["reason"] if all(m["suppressed"] for m in measures) else None


def _by_measure(rs: ResultSet, build: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
    return {
        OVERALL: build(0),
        "domains": {key: build(j + 1) for j, key in enumerate(rs.measures[1:])},
    }


def _trend(rs: ResultSet, campaign: Campaign, audience: str, i: int, hidden: bool) -> dict:
    previous = campaign.previous.slug if campaign.previous else None
    if rs.trend is None:
        fraction = None
        domains: list[str] = []
        if rs.trend_reason == "not_comparable" and campaign.previous is not None:
            comp = trend_context(campaign).comparability  # type: ignore[union-attr]
            fraction, domains = comp.comparable_fraction, list(comp.comparable_domains)
        reason = "campaign_open" if hidden else rs.trend_reason
        return {
            "previous": previous,
            "comparable_fraction": fraction,
            "comparable_domains": domains,
            "reason": reason,
            **_by_measure(rs, lambda j: _null_trend_measure(reason)),
        }
    comp = rs.trend.context.comparability
    comparable = set(comp.comparable_domains)

    def build(j: int) -> dict[str, Any]:
        if hidden:
            return _null_trend_measure("campaign_open")
        if j > 0 and rs.measures[j] not in comparable:
            return _null_trend_measure("not_comparable")
        return _trend_measure(rs, audience, i, j)

    body = _by_measure(rs, build)
    reason = "campaign_open" if hidden else _reason_when_all_null(body)
    return {
        "previous": previous,
        "comparable_fraction": comp.comparable_fraction,
        "comparable_domains": list(comp.comparable_domains),
        "reason": reason,
        **body,
    }


def _invitation_counts(campaign: Campaign) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        select(Invitation.org_code, Invitation.audience, func.count())
        .where(Invitation.campaign_id == campaign.id)
        .group_by(Invitation.org_code, Invitation.audience)
    ).all()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def provenance(rs: ResultSet, campaign: Campaign) -> dict[str, Any]:
    return {
        "questionnaire": rs.q.key,
        "version": rs.q.version,
        "rules": RULES,
        "min_respondents": campaign.min_respondents,
        "groups": "national: every organisation in the campaign; region and peer_group: as"
        " recorded for each organisation when the campaign was created",
        "computed_at": rs.computed_at.isoformat().replace("+00:00", "Z"),
    }


def campaign_results(
    campaign: Campaign,
    audience: str = "combined",
    *,
    admin: bool = False,
    region: str | None = None,
    peer_group: str | None = None,
) -> list[dict[str, Any]]:
    """One results item per organisation of the campaign (api.md, "A results item").

    Before the campaign closes only administrators see scores, marked as a preview;
    everyone else sees response counts, with every score null for `campaign_open`.
    """
    if audience not in RESULT_AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(RESULT_AUDIENCES)}")
    rs = result_set(campaign)
    published = is_published(campaign)
    hidden = not published and not admin
    invitations = _invitation_counts(campaign)
    scoring = provenance(rs, campaign)
    items = []
    for i, code in enumerate(rs.orgs):
        if region is not None and rs.regions[i] != region:
            continue
        if peer_group is not None and rs.peer_groups[i] != peer_group:
            continue
        responses = {a: int(rs.responses[a][i]) for a in AUDIENCES}
        rates: dict[str, float | None] = {}
        for a in AUDIENCES:
            eligible = rs.eligible[a][i]
            if eligible is None:
                eligible = invitations.get((code, a)) or None
            rates[a] = responses[a] / eligible if eligible else None
        if hidden:
            scores = _by_measure(rs, lambda j: _null_measure("campaign_open"))
            gap_body = _by_measure(
                rs,
                lambda j: {
                    "staff_minus_patient_leader": None,
                    "ci95": None,
                    "significant": None,
                    "suppressed": True,
                    "reason": "campaign_open",
                },
            )
            gap_reason: str | None = "campaign_open"
        else:
            scores = _by_measure(rs, lambda j, i=i: _measure(rs, audience, i, j))
            gap_body = _by_measure(rs, lambda j, i=i: _gap_measure(rs, i, j))
            gap_reason = _reason_when_all_null(gap_body)
        items.append(
            {
                "organisation": {
                    "code": code,
                    "name": rs.names[i],
                    "region": rs.regions[i],
                    "peer_group": rs.peer_groups[i],
                },
                "audience": audience,
                "preview": bool(admin and not published),
                "responses": responses,
                "response_rate": rates,
                "scoring": scoring,
                "overall": scores[OVERALL],
                "domains": scores["domains"],
                "gap": {**gap_body, "reason": gap_reason},
                "trend": _trend(rs, campaign, audience, i, hidden),
            }
        )
    return items


def campaign_benchmarks(
    campaign: Campaign,
    audience: str = "combined",
    group_by: str = "national",
    *,
    admin: bool = False,
) -> list[dict[str, Any]]:
    """One benchmarks item per group. Suppressed organisations are left out of every
    statistic (only counted in n_suppressed), so no hidden value can be recovered."""
    if audience not in RESULT_AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(RESULT_AUDIENCES)}")
    if group_by not in GROUP_BYS:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BYS)}")
    rs = result_set(campaign)
    published = is_published(campaign)
    hidden = not published and not admin
    values, shown = rs.values(audience)
    labels = rs.group_labels(group_by)
    items = []
    for label in sorted(set(labels.tolist())):
        idx = np.flatnonzero(labels == label)
        funnels = rs.funnels[(audience, group_by, label)]

        def stats(j: int, idx: np.ndarray = idx, funnels: list[Funnel] = funnels) -> dict:
            if hidden:
                empty = group_statistics(values[idx, j], np.zeros(len(idx), bool), len(rs.q.rungs))
                return {
                    **{key: None for key in empty},
                    "levels": {level: None for level in empty["levels"]},
                    "funnel": {"target": None, "phi": None, "tau2": None},
                }
            body = group_statistics(values[idx, j], shown[idx, j], len(rs.q.rungs))
            f = funnels[j]
            body["funnel"] = {"target": _num(f.target), "phi": _num(f.phi), "tau2": _num(f.tau2)}
            return body

        items.append(
            {
                "group": {"by": group_by, "value": label},
                "audience": audience,
                "preview": bool(admin and not published),
                "reason": "campaign_open" if hidden else None,
                "scoring": provenance(rs, campaign),
                **_by_measure(rs, stats),
            }
        )
    return items
