"""Foundation: due work, outbox, handled events.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_work_item_due", "work_item", ["status", "due_at"])
    op.create_index("ix_work_item_idempotency_key", "work_item", ["idempotency_key"], unique=True)

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("user", sa.String(length=64), nullable=True),
        sa.Column("thread_of", sa.String(length=255), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("updates", sa.String(length=255), nullable=True),
        sa.Column("view", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("sent_channel", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_ready", "outbox_message", ["status", "next_attempt_at"])
    op.create_index(
        "ix_outbox_message_idempotency_key", "outbox_message", ["idempotency_key"], unique=True
    )

    op.create_table(
        "handled_event",
        sa.Column("event_id", sa.String(length=64), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handled_event")
    op.drop_index("ix_outbox_message_idempotency_key", table_name="outbox_message")
    op.drop_index("ix_outbox_ready", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_index("ix_work_item_idempotency_key", table_name="work_item")
    op.drop_index("ix_work_item_due", table_name="work_item")
    op.drop_table("work_item")
