"""Check-ins that small teams answer safely and quietly: what each round's close published per party,
skipping and being away, comments shared with the partner; no threshold below 3, at most one reminder

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

relationship = sa.table('relationship', sa.column('checkin_min_respondents', sa.Integer()),
                        sa.column('checkin_reminders', sa.Integer()))
rounds = sa.table('checkin_round', sa.column('min_respondents', sa.Integer()))


def upgrade() -> None:
    op.add_column('checkin_prompt', sa.Column('status', sa.String(length=16), nullable=False, server_default='asked'))
    op.add_column('checkin_prompt', sa.Column('reminded', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('checkin_answer', sa.Column('share_comment', sa.Boolean(), nullable=False,
                                              server_default=sa.false()))
    op.add_column('person', sa.Column('away_until', sa.Date(), nullable=True))
    op.create_table('checkin_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('asked', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('away', sa.Integer(), nullable=False),
    sa.Column('rounds', sa.JSON(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('means', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['checkin_round.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'party_slot')
    )
    op.create_index(op.f('ix_checkin_result_relationship_id'), 'checkin_result', ['relationship_id'], unique=False)
    op.create_index(op.f('ix_checkin_result_round_id'), 'checkin_result', ['round_id'], unique=False)
    # the floor of 3 and the one reminder hold for plans made before them too
    op.execute(relationship.update().where(relationship.c.checkin_min_respondents < 3)
               .values(checkin_min_respondents=3))
    op.execute(relationship.update().where(relationship.c.checkin_reminders > 1).values(checkin_reminders=1))
    op.execute(rounds.update().where(rounds.c.min_respondents < 3).values(min_respondents=3))


def downgrade() -> None:
    op.drop_index(op.f('ix_checkin_result_round_id'), table_name='checkin_result')
    op.drop_index(op.f('ix_checkin_result_relationship_id'), table_name='checkin_result')
    op.drop_table('checkin_result')
    op.drop_column('person', 'away_until')
    op.drop_column('checkin_answer', 'share_comment')
    op.drop_column('checkin_prompt', 'reminded')
    op.drop_column('checkin_prompt', 'status')
