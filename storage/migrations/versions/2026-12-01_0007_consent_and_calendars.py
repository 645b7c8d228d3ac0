"""Each party's own calendar (moved from the relationship), proposals of shared changes, and outbox messages
that wait for their people's working hours

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

relationship = sa.table('relationship', sa.column('id', sa.Integer()), sa.column('timezone', sa.String()),
                        sa.column('working_days', sa.JSON()), sa.column('holidays', sa.JSON()))
party = sa.table('party', sa.column('relationship_id', sa.Integer()), sa.column('timezone', sa.String()),
                 sa.column('working_days', sa.JSON()), sa.column('holidays', sa.JSON()))


def upgrade() -> None:
    # plain ALTER TABLE throughout (SQLite 3.35+ drops columns in place): a batch would copy and drop the
    # tables, which the foreign keys of existing plans refuse
    op.add_column('party', sa.Column('timezone', sa.String(length=64), nullable=False, server_default='UTC'))
    op.add_column('party', sa.Column('working_days', sa.JSON(), nullable=False, server_default='[0, 1, 2, 3, 4]'))
    op.add_column('party', sa.Column('working_hours', sa.String(length=16), nullable=False,
                                     server_default='09:00-17:30'))
    op.add_column('party', sa.Column('holidays', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('party', sa.Column('holiday_region', sa.String(length=16), nullable=False, server_default=''))
    # each party starts with the calendar the relationship had
    connection = op.get_bind()
    for row in connection.execute(sa.select(relationship)).all():
        connection.execute(party.update().where(party.c.relationship_id == row.id).values(
            timezone=row.timezone, working_days=row.working_days, holidays=row.holidays))
    op.drop_column('relationship', 'working_days')
    op.drop_column('relationship', 'holidays')
    op.add_column('outbox_message', sa.Column('not_before', sa.DateTime(timezone=True), nullable=True))
    op.add_column('person', sa.Column('name', sa.String(length=120), nullable=True))
    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=False),
    sa.Column('proposing_slot', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lapses_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    op.create_index(op.f('ix_proposal_relationship_id'), 'proposal', ['relationship_id'], unique=False)
    op.create_index('ix_proposal_open', 'proposal', ['relationship_id', 'status', 'subject'], unique=False)


def downgrade() -> None:
    op.drop_column('person', 'name')
    op.drop_column('outbox_message', 'not_before')
    op.drop_index('ix_proposal_open', table_name='proposal')
    op.drop_index(op.f('ix_proposal_relationship_id'), table_name='proposal')
    op.drop_table('proposal')
    op.add_column('relationship', sa.Column('working_days', sa.JSON(), nullable=False,
                                            server_default='[0, 1, 2, 3, 4]'))
    op.add_column('relationship', sa.Column('holidays', sa.JSON(), nullable=False, server_default='[]'))
    connection = op.get_bind()
    first = sa.table('party', sa.column('relationship_id', sa.Integer()), sa.column('slot', sa.Integer()),
                     sa.column('working_days', sa.JSON()), sa.column('holidays', sa.JSON()))
    for row in connection.execute(sa.select(first).where(first.c.slot == 1)).all():
        connection.execute(relationship.update().where(relationship.c.id == row.relationship_id).values(
            working_days=row.working_days, holidays=row.holidays))
    for name in ('holiday_region', 'holidays', 'working_hours', 'working_days', 'timezone'):
        op.drop_column('party', name)
