"""action plans: actions, co-sign links and co-signatures, verdict answers, editors

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 06:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import assessor.models.base

revision = '0005'
# 0003 and 0004 are written in parallel; this is re-pointed to the latest of them at merge.
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=16), nullable=False),
    sa.Column('domain', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', assessor.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', assessor.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'dropped')", name=op.f('ck_action_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_action_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['org_code'], ['organisation.code'], name=op.f('fk_action_org_code_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    op.create_index('ix_action_campaign_org', 'action', ['campaign_id', 'org_code'], unique=False)
    op.create_table('cosign_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('plan_digest', sa.String(length=64), nullable=False),
    sa.Column('expires_at', assessor.models.base.UTCDateTime(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_cosign_link_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['org_code'], ['organisation.code'], name=op.f('fk_cosign_link_org_code_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cosign_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_cosign_link_token_hash'))
    )
    op.create_index('ix_cosign_link_campaign_org', 'cosign_link', ['campaign_id', 'org_code'], unique=False)
    op.create_table('cosign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=16), nullable=False),
    sa.Column('plan_digest', sa.String(length=64), nullable=False),
    sa.Column('agrees', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_cosign_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['org_code'], ['organisation.code'], name=op.f('fk_cosign_org_code_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cosign'))
    )
    op.create_index('ix_cosign_campaign_org', 'cosign', ['campaign_id', 'org_code'], unique=False)
    op.create_table('verdict_answer',
    sa.Column('response_seq', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('happened', sa.String(length=20), nullable=True),
    sa.Column('difference', sa.String(length=20), nullable=True),
    sa.CheckConstraint("happened IN ('done', 'partly', 'not', 'dont_know')", name=op.f('ck_verdict_answer_happened')),
    sa.CheckConstraint("difference IN ('yes', 'some', 'no', 'dont_know')", name=op.f('ck_verdict_answer_difference')),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_verdict_answer_action_id_action'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_seq'], ['response.seq'], name=op.f('fk_verdict_answer_response_seq_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_seq', 'action_id', name=op.f('pk_verdict_answer'))
    )
    op.create_index('ix_verdict_answer_action_id', 'verdict_answer', ['action_id'], unique=False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_code', sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_account_org_code_organisation'), 'organisation', ['org_code'], ['code'])


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_account_org_code_organisation'), type_='foreignkey')
        batch_op.drop_column('org_code')
    op.drop_index('ix_verdict_answer_action_id', table_name='verdict_answer')
    op.drop_table('verdict_answer')
    op.drop_index('ix_cosign_campaign_org', table_name='cosign')
    op.drop_table('cosign')
    op.drop_index('ix_cosign_link_campaign_org', table_name='cosign_link')
    op.drop_table('cosign_link')
    op.drop_index('ix_action_campaign_org', table_name='action')
    op.drop_table('action')
