"""Reviews, their sign-offs, and reported costs and benefits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    op.create_index(op.f('ix_review_relationship_id'), 'review', ['relationship_id'], unique=False)
    op.create_table('review_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=80), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id', 'party_slot')
    )
    op.create_index(op.f('ix_review_signature_review_id'), 'review_signature', ['review_id'], unique=False)
    op.create_table('value_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_value_entry_relationship_id'), 'value_entry', ['relationship_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_value_entry_relationship_id'), table_name='value_entry')
    op.drop_table('value_entry')
    op.drop_index(op.f('ix_review_signature_review_id'), table_name='review_signature')
    op.drop_table('review_signature')
    op.drop_index(op.f('ix_review_relationship_id'), table_name='review')
    op.drop_table('review')
