"""Currency: each relationship names the ISO 4217 currency of its costs and benefits (GBP for existing ones)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('relationship', sa.Column('currency', sa.String(length=3), nullable=False, server_default='GBP'))


def downgrade() -> None:
    # not a batch: recreating `relationship` on SQLite would break the foreign keys of every table naming it;
    # both SQLite (3.35 and later) and PostgreSQL drop a plain column in place
    op.execute('ALTER TABLE relationship DROP COLUMN currency')
