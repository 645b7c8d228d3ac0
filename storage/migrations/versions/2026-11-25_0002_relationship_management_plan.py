"""Relationship Management Plan: relationship, parties, people, objectives, KPIs, risks, actions, exit, history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('relationship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('working_days', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('checkin_cadence', sa.String(length=200), nullable=False),
    sa.Column('review_cadence', sa.String(length=200), nullable=False),
    sa.Column('ladder', sa.JSON(), nullable=False),
    sa.Column('exit_reviewed_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('relationship', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relationship_channel_id'), ['channel_id'], unique=True)

    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('owner_user_id', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_relationship_id'), ['relationship_id'], unique=False)

    op.create_table('exit_trigger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('kpi_number', sa.Integer(), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('on_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    with op.batch_alter_table('exit_trigger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exit_trigger_relationship_id'), ['relationship_id'], unique=False)

    op.create_table('kpi',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('amber', sa.Float(), nullable=False),
    sa.Column('red', sa.Float(), nullable=False),
    sa.Column('owner_slot', sa.Integer(), nullable=False),
    sa.Column('reporter_slot', sa.Integer(), nullable=False),
    sa.Column('cadence', sa.String(length=60), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_relationship_id'), ['relationship_id'], unique=False)

    op.create_table('objective',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('benefit_1', sa.String(length=1000), nullable=False),
    sa.Column('benefit_2', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objective_relationship_id'), ['relationship_id'], unique=False)

    op.create_table('party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('team_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'slot')
    )
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_relationship_id'), ['relationship_id'], unique=False)

    op.create_table('plan_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=80), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('verb', sa.String(length=24), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('plan_change', schema=None) as batch_op:
        batch_op.create_index('ix_plan_change_rel_version', ['relationship_id', 'version'], unique=False)

    op.create_table('risk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('likelihood', sa.Integer(), nullable=False),
    sa.Column('impact', sa.Integer(), nullable=False),
    sa.Column('owner_user_id', sa.String(length=64), nullable=False),
    sa.Column('mitigation', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    with op.batch_alter_table('risk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_relationship_id'), ['relationship_id'], unique=False)

    op.create_table('kpi_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('reported_by', sa.String(length=64), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpi.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('kpi_value', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_value_kpi_period', ['kpi_id', 'period'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], ),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'user_id')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_relationship_id'), ['relationship_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_relationship_id'))

    op.drop_table('person')
    with op.batch_alter_table('kpi_value', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_value_kpi_period')

    op.drop_table('kpi_value')
    with op.batch_alter_table('risk', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_relationship_id'))

    op.drop_table('risk')
    with op.batch_alter_table('plan_change', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_change_rel_version')

    op.drop_table('plan_change')
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_relationship_id'))

    op.drop_table('party')
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objective_relationship_id'))

    op.drop_table('objective')
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_relationship_id'))

    op.drop_table('kpi')
    with op.batch_alter_table('exit_trigger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exit_trigger_relationship_id'))

    op.drop_table('exit_trigger')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_relationship_id'))

    op.drop_table('action')
    with op.batch_alter_table('relationship', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_relationship_channel_id'))

    op.drop_table('relationship')

