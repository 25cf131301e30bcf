"""board sign-in: roles with a scope, single sign-on, domain grants, TOTP, account hygiene

user_account: password_hash may be empty (accounts that sign in only through NHSmail /
Entra ID), the provider's subject, last sign-in, disabled, TOTP secret and hashed recovery
codes, and a CHECK that viewers belong to one organisation or none, editors to one and
admins to none. domain_grant: addresses at a domain come in with a role and organisation.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import assessor.models.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROLE_SCOPE = (
    "role = 'viewer' OR (role = 'editor' AND org_code IS NOT NULL)"
    " OR (role = 'admin' AND org_code IS NULL)"
)


def upgrade() -> None:
    op.create_table(
        "domain_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=True),
        sa.Column("created_at", assessor.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.CheckConstraint(ROLE_SCOPE, name=op.f("ck_domain_grant_role_scope")),
        sa.ForeignKeyConstraint(
            ["org_code"],
            ["organisation.code"],
            name=op.f("fk_domain_grant_org_code_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_grant")),
        sa.UniqueConstraint("domain", name=op.f("uq_domain_grant_domain")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=300), nullable=True)
        batch_op.add_column(sa.Column("sso_subject", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("last_sign_in_at", assessor.models.base.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("disabled_at", assessor.models.base.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("granted_at", assessor.models.base.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("recovery_codes", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.create_check_constraint(batch_op.f("ck_user_account_role_scope"), ROLE_SCOPE)


def downgrade() -> None:
    op.execute("DELETE FROM user_account WHERE password_hash IS NULL")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_account_role_scope"), type_="check")
        batch_op.drop_column("recovery_codes")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("granted_at")
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("last_sign_in_at")
        batch_op.drop_column("sso_subject")
        batch_op.alter_column("password_hash", existing_type=sa.String(length=300), nullable=False)
    op.drop_table("domain_grant")
