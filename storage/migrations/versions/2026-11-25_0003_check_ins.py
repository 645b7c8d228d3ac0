"""Check-ins: rounds, prompts and answers; per-relationship check-in settings; people's timezones

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

DEFAULT_STATEMENTS_SQL = "'" + json.dumps([
    "Communication is open and timely",
    "Commitments are kept",
    "Problems are raised early and resolved rather than left to fester",
    "The partner brings ideas and innovation",
    "Decisions are made jointly",
    "I trust the partner to act in our joint interest",
]) + "'"


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('checkin_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('statements', sa.JSON(), nullable=False),
    sa.Column('scale', sa.Integer(), nullable=False),
    sa.Column('min_respondents', sa.Integer(), nullable=False),
    sa.Column('gap_threshold', sa.Float(), nullable=False, server_default="1.0"),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number'),
    sa.UniqueConstraint('relationship_id', 'period')
    )
    with op.batch_alter_table('checkin_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_round_relationship_id'), ['relationship_id'], unique=False)

    op.create_table('checkin_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.Column('kpi_values', sa.JSON(), nullable=False),
    sa.Column('comment', sa.String(length=2000), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['checkin_round.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'user_id')
    )
    with op.batch_alter_table('checkin_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_answer_round_id'), ['round_id'], unique=False)

    op.create_table('checkin_prompt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['checkin_round.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'user_id')
    )
    with op.batch_alter_table('checkin_prompt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_prompt_round_id'), ['round_id'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tz', sa.String(length=64), nullable=True))

    with op.batch_alter_table('relationship', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkin_statements', sa.JSON(), nullable=False,
                                      server_default=sa.text(DEFAULT_STATEMENTS_SQL)))
        batch_op.add_column(sa.Column('checkin_scale', sa.Integer(), nullable=False, server_default="5"))
        batch_op.add_column(sa.Column('checkin_window_days', sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(sa.Column('checkin_min_respondents', sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(sa.Column('checkin_reminders', sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column('gap_threshold', sa.Float(), nullable=False, server_default="1.0"))



def downgrade() -> None:
    with op.batch_alter_table('relationship', schema=None) as batch_op:
        batch_op.drop_column('gap_threshold')
        batch_op.drop_column('checkin_reminders')
        batch_op.drop_column('checkin_min_respondents')
        batch_op.drop_column('checkin_window_days')
        batch_op.drop_column('checkin_scale')
        batch_op.drop_column('checkin_statements')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('tz')

    with op.batch_alter_table('checkin_prompt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_prompt_round_id'))

    op.drop_table('checkin_prompt')
    with op.batch_alter_table('checkin_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_answer_round_id'))

    op.drop_table('checkin_answer')
    with op.batch_alter_table('checkin_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_round_relationship_id'))

    op.drop_table('checkin_round')
