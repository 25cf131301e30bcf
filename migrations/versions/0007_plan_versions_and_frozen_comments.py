"""plan versions: co-signatures and co-sign links record the plan version they belong to

A co-signature used to count only while the plan's wording kept its digest, so an edit
erased it and undoing the edit restored it. Existing co-signatures are carried into
versions: one version per distinct digest of an organisation's co-signatures, numbered in
the order they were first given, opened on that day; a plan changed since its last
co-signed wording gets one more version, opened on the day of its last change. Links keep
the version of their digest, else the latest. Free text needs no column: publications made
from now on freeze it as their `comments` section (publication_row.sections).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 20:20:00.000000
"""

import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

cosign = sa.table(
    "cosign",
    sa.column("id", sa.Integer),
    sa.column("campaign_id", sa.Integer),
    sa.column("org_code", sa.String),
    sa.column("plan_digest", sa.String),
    sa.column("given_on", sa.Date),
    sa.column("version", sa.Integer),
)
link = sa.table(
    "cosign_link",
    sa.column("id", sa.Integer),
    sa.column("campaign_id", sa.Integer),
    sa.column("org_code", sa.String),
    sa.column("plan_digest", sa.String),
    sa.column("version", sa.Integer),
)
action = sa.table(
    "action",
    *(sa.column(c, sa.String) for c in ("org_code", "domain", "title", "description", "status")),
    sa.column("id", sa.Integer),
    sa.column("campaign_id", sa.Integer),
    sa.column("due_on", sa.Date),
    sa.column("updated_at", sa.DateTime),
)


def _plan_digest(rows: list) -> str:
    """actions.operations.plan_digest as it stood at this revision (canonical JSON sha256)."""
    body = sorted(
        [r.id, r.domain, r.title, r.description, r.due_on.isoformat()]
        for r in rows
        if r.status != "dropped"
    )
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _as_date(value):  # type: ignore[no-untyped-def]
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def _versions(connection: sa.Connection, plan_version: sa.Table) -> None:
    firsts = connection.execute(
        sa.select(
            cosign.c.campaign_id,
            cosign.c.org_code,
            cosign.c.plan_digest,
            sa.func.min(cosign.c.given_on),
            sa.func.min(cosign.c.id),
        )
        .group_by(cosign.c.campaign_id, cosign.c.org_code, cosign.c.plan_digest)
        .order_by(cosign.c.campaign_id, cosign.c.org_code, sa.func.min(cosign.c.given_on))
    ).all()
    plans: dict[tuple[int, str], list[tuple[str, object, int]]] = {}
    for campaign_id, org_code, digest, first_day, first_id in firsts:
        plans.setdefault((campaign_id, org_code), []).append((digest, first_day, first_id))
    for (campaign_id, org_code), found in plans.items():
        found.sort(key=lambda d: (str(d[1]), d[2]))
        where = (cosign.c.campaign_id == campaign_id) & (cosign.c.org_code == org_code)
        rows = []
        for number, (digest, first_day, _) in enumerate(found, start=1):
            rows.append((number, digest, _as_date(first_day)))
            connection.execute(
                cosign.update().where(where, cosign.c.plan_digest == digest).values(version=number)
            )
        actions = connection.execute(
            sa.select(action).where(
                action.c.campaign_id == campaign_id, action.c.org_code == org_code
            )
        ).all()
        now = _plan_digest(actions)
        if actions and now != rows[-1][1]:
            changed = max(_as_date(a.updated_at) for a in actions)
            rows.append((len(rows) + 1, now, changed))
        connection.execute(
            plan_version.insert(),
            [
                {
                    "campaign_id": campaign_id,
                    "org_code": org_code,
                    "number": number,
                    "plan_digest": digest,
                    "opened_on": opened_on,
                }
                for number, digest, opened_on in rows
            ],
        )
        by_digest = {digest: number for number, digest, _ in rows}
        lwhere = (link.c.campaign_id == campaign_id) & (link.c.org_code == org_code)
        connection.execute(link.update().where(lwhere).values(version=len(rows)))
        for digest, number in by_digest.items():
            connection.execute(
                link.update().where(lwhere, link.c.plan_digest == digest).values(version=number)
            )


def upgrade() -> None:
    plan_version = op.create_table(
        "plan_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("plan_digest", sa.String(length=64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_plan_version_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["org_code"],
            ["organisation.code"],
            name=op.f("fk_plan_version_org_code_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_version")),
        sa.UniqueConstraint(
            "campaign_id",
            "org_code",
            "number",
            name=op.f("uq_plan_version_campaign_id_org_code_number"),
        ),
    )
    for table in ("cosign", "cosign_link"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    _versions(op.get_bind(), plan_version)
    for table in ("cosign", "cosign_link"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("version", server_default=None)


def downgrade() -> None:
    # Digests are kept on every co-signature and link, so dropping versions loses nothing
    # that 0006's digest rule reads.
    for table in ("cosign_link", "cosign"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
    op.drop_table("plan_version")
