"""Follow-through: people who leave, actions and risks chased until done, wins when they happen, objectives
failing and the exit trigger that fires on them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('person', sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('person', sa.Column('left_how', sa.String(length=16), nullable=False, server_default=''))
    op.add_column('person', sa.Column('left_by', sa.String(length=64), nullable=True))
    op.add_column('risk', sa.Column('review_on', sa.Date(), nullable=True))
    op.add_column('risk', sa.Column('nudged_on', sa.Date(), nullable=True))
    op.add_column('action', sa.Column('snoozed_until', sa.Date(), nullable=True))
    op.add_column('action', sa.Column('nudged_on', sa.Date(), nullable=True))
    op.add_column('action', sa.Column('done_asked_by', sa.String(length=64), nullable=True))
    op.add_column('exit_trigger', sa.Column('objective_number', sa.Integer(), nullable=True))
    op.create_table('win',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    op.create_index(op.f('ix_win_relationship_id'), 'win', ['relationship_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_win_relationship_id'), table_name='win')
    op.drop_table('win')
    with op.batch_alter_table('exit_trigger') as batch:
        batch.drop_column('objective_number')
    with op.batch_alter_table('action') as batch:
        batch.drop_column('done_asked_by')
        batch.drop_column('nudged_on')
        batch.drop_column('snoozed_until')
    with op.batch_alter_table('risk') as batch:
        batch.drop_column('nudged_on')
        batch.drop_column('review_on')
    with op.batch_alter_table('person') as batch:
        batch.drop_column('left_by')
        batch.drop_column('left_how')
        batch.drop_column('left_at')
