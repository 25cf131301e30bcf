"""publications, shared previews, profile counts; no per-campaign counter

Revision ID: 0003
Revises: 0002

Campaigns made before this revision have no profile counts until
`assessor results rebuild SLUG`; their first publication is made when first read.
"""

from alembic import op
import sqlalchemy as sa
import assessor.models.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cell_detail',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=16), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('a', sa.Integer(), nullable=False),
    sa.Column('b', sa.Integer(), nullable=False),
    sa.Column('c', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_cell_detail_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['org_code'], ['organisation.code'], name=op.f('fk_cell_detail_org_code_organisation')),
    sa.PrimaryKeyConstraint('campaign_id', 'org_code', 'audience', 'key', name=op.f('pk_cell_detail'))
    )
    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('made_at', assessor.models.base.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('organisations_revised', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('refs', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_publication_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('campaign_id', 'number', name=op.f('uq_publication_campaign_id_number'))
    )
    op.create_table('publication_row',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('org_index', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_publication_row_publication_id_publication'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('publication_id', 'org_index', name=op.f('pk_publication_row'))
    )
    op.create_table('results_preview',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', assessor.models.base.UTCDateTime(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_results_preview_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_results_preview'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('results_version')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_after', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('voided_after')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_version', sa.Integer(), nullable=False, server_default='0'))
    op.drop_table('results_preview')
    op.drop_table('publication_row')
    op.drop_table('publication')
    op.drop_table('cell_detail')
