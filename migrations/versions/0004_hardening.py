"""hardening: session versions for sign-out everywhere; in-progress responses remember
their invitation until submitted

Revision ID: 0004
Revises: 0003 (re-pointed to 0003 at merge)
Create Date: 2026-12-01 06:10:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_response_invitation_id_invitation'),
            'invitation',
            ['invitation_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_response_invitation_id_invitation'), type_='foreignkey'
        )
        batch_op.drop_column('invitation_id')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
