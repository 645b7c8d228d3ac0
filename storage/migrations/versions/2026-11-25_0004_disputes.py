"""Disputes and the dispute log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dispute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('description', sa.String(length=3000), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('desired_outcome', sa.String(length=1000), nullable=False),
    sa.Column('raised_by', sa.String(length=64), nullable=False),
    sa.Column('raising_slot', sa.Integer(), nullable=False),
    sa.Column('evidence_channel', sa.String(length=64), nullable=True),
    sa.Column('evidence_ts', sa.String(length=32), nullable=True),
    sa.Column('ladder', sa.JSON(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('level_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('level_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_remaining', sa.Float(), nullable=True),
    sa.Column('timer_epoch', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposal', sa.String(length=2000), nullable=True),
    sa.Column('proposal_slot', sa.Integer(), nullable=True),
    sa.Column('proposal_by', sa.String(length=64), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=2000), nullable=True),
    sa.Column('lessons', sa.String(length=2000), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_relationship_id'), ['relationship_id'], unique=False)

    op.create_table('dispute_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dispute_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_event_dispute_id'), ['dispute_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dispute_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_event_dispute_id'))

    op.drop_table('dispute_event')
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_relationship_id'))

    op.drop_table('dispute')
