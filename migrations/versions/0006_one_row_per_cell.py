"""one row per cell: cell_stat and cell_detail become the arrays of `cell`; an index by cell
on response; features' published sections per organisation

A submission used to update about 80 rows (one per basis and measure, one per profile key);
it now reads and writes one row. The arrays' layout is in models.results; existing
statistics are carried over exactly, in both directions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 11:00:00.000000
"""

from collections import defaultdict

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BASES = ("full", "now_comparable", "before_comparable")
RESPONSES = "*responses"
DETAIL_COLUMNS = ("n", "a", "b", "c", "total")

campaign = sa.table(
    "campaign", sa.column("id", sa.Integer), sa.column("questionnaire_version_id", sa.Integer)
)
version = sa.table(
    "questionnaire_version", sa.column("id", sa.Integer), sa.column("definition", sa.JSON)
)


def _layout(definition: dict) -> tuple[list[str], list[str]]:
    """Measures and profile keys in the order results.cells lays them out."""
    domains = [d["key"] for d in definition["domains"]]
    rungs = [r["key"] for r in definition["rungs"]]
    items = [i["link_id"] for i in definition["items"] if i["type"] == "agreement"]
    return ["overall", *domains], [
        *(f"rung:{d}:{r}" for d in domains for r in rungs),
        *(f"item:{link}" for link in items),
    ]


def _campaigns(connection: sa.Connection) -> list[tuple[int, list[str], list[str]]]:
    rows = connection.execute(
        sa.select(campaign.c.id, version.c.definition).join(
            version, version.c.id == campaign.c.questionnaire_version_id
        )
    ).all()
    return [(cid, *_layout(definition)) for cid, definition in rows]


def _cell_table() -> sa.Table:
    return sa.table(
        "cell",
        sa.column("campaign_id", sa.Integer),
        sa.column("org_code", sa.String),
        sa.column("audience", sa.String),
        sa.column("responses", sa.Integer),
        sa.column("stats", sa.LargeBinary),
        sa.column("details", sa.LargeBinary),
    )


def _stat_table() -> sa.Table:
    return sa.table(
        "cell_stat",
        *(sa.column(c, sa.String) for c in ("org_code", "audience", "basis", "measure")),
        sa.column("campaign_id", sa.Integer),
        sa.column("n", sa.Integer),
        sa.column("total", sa.Float),
        sa.column("total_sq", sa.Float),
    )


def _detail_table() -> sa.Table:
    return sa.table(
        "cell_detail",
        *(sa.column(c, sa.String) for c in ("org_code", "audience", "key")),
        sa.column("campaign_id", sa.Integer),
        *(sa.column(c, sa.Integer) for c in ("n", "a", "b", "c")),
        sa.column("total", sa.Float),
    )


def upgrade() -> None:
    op.create_table(
        "cell",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("stats", sa.LargeBinary(), nullable=False),
        sa.Column("details", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_cell_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["org_code"], ["organisation.code"], name=op.f("fk_cell_org_code_organisation")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "org_code", "audience", name=op.f("pk_cell")),
    )
    connection = op.get_bind()
    cell, stat, detail = _cell_table(), _stat_table(), _detail_table()
    for cid, measures, keys in _campaigns(connection):
        m_index = {m: j for j, m in enumerate(measures)}
        k_index = {k: j for j, k in enumerate(keys)}
        responses: dict[tuple[str, str], int] = defaultdict(int)
        stats: dict[tuple[str, str], np.ndarray] = defaultdict(
            lambda: np.zeros((len(BASES), len(measures), 3))
        )
        details: dict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros((len(keys), 5)))
        for r in connection.execute(sa.select(stat).where(stat.c.campaign_id == cid)):
            key = (r.org_code, r.audience)
            if r.measure == RESPONSES:
                responses[key] = r.n
            elif r.measure in m_index and r.basis in BASES:
                stats[key][BASES.index(r.basis), m_index[r.measure]] = (r.n, r.total, r.total_sq)
        for r in connection.execute(sa.select(detail).where(detail.c.campaign_id == cid)):
            if r.key in k_index:
                details[(r.org_code, r.audience)][k_index[r.key]] = (r.n, r.a, r.b, r.c, r.total)
        cells = set(responses) | set(stats) | set(details)
        if cells:
            connection.execute(
                cell.insert(),
                [
                    {
                        "campaign_id": cid,
                        "org_code": org,
                        "audience": audience,
                        "responses": responses[(org, audience)],
                        "stats": stats[(org, audience)].astype("<f8").tobytes(),
                        "details": details[(org, audience)].astype("<f8").tobytes(),
                    }
                    for org, audience in sorted(cells)
                ],
            )
    op.drop_table("cell_detail")
    op.drop_table("cell_stat")
    op.add_column("publication_row", sa.Column("sections", sa.Text(), nullable=True))
    op.create_index(
        "ix_response_campaign_cell",
        "response",
        ["campaign_id", "status", "audience", "org_code", "seq"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_response_campaign_cell", table_name="response")
    with op.batch_alter_table("publication_row") as batch:
        batch.drop_column("sections")
    op.create_table(
        "cell_stat",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("measure", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("total_sq", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_cell_stat_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["org_code"], ["organisation.code"], name=op.f("fk_cell_stat_org_code_organisation")
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "org_code", "audience", "basis", "measure", name=op.f("pk_cell_stat")
        ),
    )
    op.create_table(
        "cell_detail",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("a", sa.Integer(), nullable=False),
        sa.Column("b", sa.Integer(), nullable=False),
        sa.Column("c", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_cell_detail_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["org_code"], ["organisation.code"], name=op.f("fk_cell_detail_org_code_organisation")
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "org_code", "audience", "key", name=op.f("pk_cell_detail")
        ),
    )
    connection = op.get_bind()
    cell, stat, detail = _cell_table(), _stat_table(), _detail_table()
    for cid, measures, keys in _campaigns(connection):
        stat_rows, detail_rows = [], []
        for r in connection.execute(sa.select(cell).where(cell.c.campaign_id == cid)):
            where = {"campaign_id": cid, "org_code": r.org_code, "audience": r.audience}
            stat_rows.append(
                {**where, "basis": "full", "measure": RESPONSES}
                | {"n": r.responses, "total": float(r.responses), "total_sq": float(r.responses)}
            )
            values = np.frombuffer(r.stats, dtype="<f8").reshape(len(BASES), len(measures), 3)
            for b, basis in enumerate(BASES):
                for j, measure in enumerate(measures):
                    n, total, total_sq = values[b, j]
                    stat_rows.append(
                        {**where, "basis": basis, "measure": measure}
                        | {"n": int(n), "total": float(total), "total_sq": float(total_sq)}
                    )
            counts = np.frombuffer(r.details, dtype="<f8").reshape(len(keys), 5)
            for key, row in zip(keys, counts):
                detail_rows.append(
                    {**where, "key": key}
                    | {c: int(v) for c, v in zip(DETAIL_COLUMNS[:4], row[:4])}
                    | {"total": float(row[4])}
                )
        if stat_rows:
            connection.execute(stat.insert(), stat_rows)
        if detail_rows:
            connection.execute(detail.insert(), detail_rows)
    op.drop_table("cell")
