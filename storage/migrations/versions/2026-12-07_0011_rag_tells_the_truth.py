"""RAG tells the truth: amber starts where a KPI misses its target, so each KPI's amber threshold is its target

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

kpi = sa.table('kpi', sa.column('amber', sa.Float()), sa.column('target', sa.Float()))


def upgrade() -> None:
    # a value short of the target is amber, not green: the amber threshold (which could lie past the target,
    # leaving values between them green) becomes the target; the red threshold and the values stay
    op.execute(kpi.update().where(kpi.c.amber != kpi.c.target).values(amber=kpi.c.target))


def downgrade() -> None:
    # the old thresholds are not kept; amber at the target is valid under the old rule, and colours as this one
    pass
