"""respondent scores in their own table

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 18:43:16.199574
"""

from alembic import op
import sqlalchemy as sa
import assessor.models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('respondent_score',
    sa.Column('response_seq', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['response_seq'], ['response.seq'], name=op.f('fk_respondent_score_response_seq_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_seq', name=op.f('pk_respondent_score'))
    )
    op.execute(
        "INSERT INTO respondent_score (response_seq, scores)"
        " SELECT seq, scores FROM response WHERE scores IS NOT NULL"
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('scores')



def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scores', sa.JSON(), nullable=True))
    op.execute(
        "UPDATE response SET scores = (SELECT scores FROM respondent_score"
        " WHERE respondent_score.response_seq = response.seq)"
    )

    op.drop_table('respondent_score')
