"""Enterprise Grid: a party is an organisation, its Grid org (enterprise id) with every workspace seen of it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

party = sa.table('party', sa.column('id', sa.Integer()), sa.column('team_id', sa.String()),
                 sa.column('enterprise_id', sa.String()), sa.column('team_ids', sa.JSON()))


def upgrade() -> None:
    # plain ALTER TABLE (see 0007): a batch would copy and drop the table, which the foreign keys refuse
    op.add_column('party', sa.Column('enterprise_id', sa.String(length=64), nullable=True))
    op.add_column('party', sa.Column('team_ids', sa.JSON(), nullable=False, server_default='[]'))
    # a party bound before knows its one id: a workspace (T…) is its first workspace, an org (E…, from a
    # mention's user_team) its Grid org
    connection = op.get_bind()
    for row in connection.execute(sa.select(party.c.id, party.c.team_id).where(party.c.team_id.is_not(None))).all():
        values = {'enterprise_id': row.team_id} if row.team_id.startswith('E') else {'team_ids': [row.team_id]}
        connection.execute(party.update().where(party.c.id == row.id).values(**values))


def downgrade() -> None:
    op.drop_column('party', 'team_ids')
    op.drop_column('party', 'enterprise_id')
