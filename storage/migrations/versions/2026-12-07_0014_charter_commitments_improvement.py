"""The rest of the seeds: the partnership charter, service levels and resource commitments, the improvement
log, expectations and lessons in reviews with the SERs' record of what they reviewed, and data retention

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('relationship', sa.Column('charter_mission', sa.String(length=2000), nullable=False,
                                            server_default=''))
    op.add_column('relationship', sa.Column('charter_values', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('relationship', sa.Column('charter_behaviours', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('relationship', sa.Column('retention_months', sa.Integer(), nullable=False, server_default='24'))
    op.add_column('person', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('kpi', sa.Column('service_level', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('review_signature', sa.Column('plan_version', sa.Integer(), nullable=True))
    op.add_column('review_signature', sa.Column('exit_reviewed', sa.Boolean(), nullable=False,
                                                server_default=sa.false()))
    op.create_table('commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('resource', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.String(length=150), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('marked_by', sa.String(length=64), nullable=True),
    sa.Column('marked_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    op.create_index(op.f('ix_commitment_relationship_id'), 'commitment', ['relationship_id'], unique=False)
    op.create_table('idea',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relationship_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('raised_by', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('owner_user_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('benefit_1', sa.String(length=1000), nullable=False),
    sa.Column('benefit_2', sa.String(length=1000), nullable=False),
    sa.Column('source_ts', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['relationship_id'], ['relationship.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('relationship_id', 'number')
    )
    op.create_index(op.f('ix_idea_relationship_id'), 'idea', ['relationship_id'], unique=False)
    op.create_table('review_expectation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id', 'party_slot')
    )
    op.create_index(op.f('ix_review_expectation_review_id'), 'review_expectation', ['review_id'], unique=False)
    op.create_table('review_lesson',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('party_slot', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('failure', sa.String(length=1000), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('avoidance', sa.String(length=1000), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id', 'number')
    )
    op.create_index(op.f('ix_review_lesson_review_id'), 'review_lesson', ['review_id'], unique=False)


def downgrade() -> None:
    for table in ('review_lesson', 'review_expectation', 'idea', 'commitment'):
        op.drop_index(op.f(f'ix_{table}_{"review" if table.startswith("review") else "relationship"}_id'),
                      table_name=table)
        op.drop_table(table)
    # plain column drops, not batches: recreating `relationship` or `person` on SQLite would break the foreign keys
    # of every table naming them; SQLite (3.35 and later) and PostgreSQL both drop a plain column in place
    for table, column in (('review_signature', 'exit_reviewed'), ('review_signature', 'plan_version'),
                          ('kpi', 'service_level'), ('person', 'erased_at'), ('relationship', 'retention_months'),
                          ('relationship', 'charter_behaviours'), ('relationship', 'charter_values'),
                          ('relationship', 'charter_mission')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')  # noqa: S608  (names from this list)
