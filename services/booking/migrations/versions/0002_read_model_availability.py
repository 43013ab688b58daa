"""Booking: availability and blackouts in the asset read model; contract read model.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Literal DDL (frozen); a no-op on databases whose 0001 already created the table.
CONTRACT_VIEW = (
    """
    CREATE TABLE IF NOT EXISTS contract_view (
        contract_id UUID NOT NULL,
        owner_org TEXT NOT NULL,
        reference TEXT NOT NULL,
        supplier TEXT NOT NULL,
        valid_from DATE NOT NULL,
        valid_to DATE NOT NULL,
        total_volume INTEGER NOT NULL,
        remaining_volume INTEGER NOT NULL,
        item_ids TEXT[] NOT NULL,
        tiers JSONB NOT NULL,
        PRIMARY KEY (contract_id)
    )
    """,
)


def upgrade() -> None:
    op.execute("ALTER TABLE asset_view ADD COLUMN IF NOT EXISTS home_base text NOT NULL DEFAULT ''")
    op.execute(
        "ALTER TABLE asset_view ADD COLUMN IF NOT EXISTS availability jsonb NOT NULL DEFAULT '[]'"
    )
    op.execute(
        "ALTER TABLE asset_view ADD COLUMN IF NOT EXISTS blackouts jsonb NOT NULL DEFAULT '[]'"
    )
    for statement in CONTRACT_VIEW:
        op.execute(statement)
    op.execute(
        "ALTER TABLE contract_view ADD CONSTRAINT contract_volume_left "
        "CHECK (remaining_volume >= 0)"
    )


def downgrade() -> None:
    # Only the constraint: on a database built by the frozen 0001 the columns and contract_view
    # already existed (the IF NOT EXISTS above left them alone), so they are 0001's to drop. On
    # an older database this leaves them in place, which 0002's upgrade accepts again.
    op.execute("ALTER TABLE contract_view DROP CONSTRAINT IF EXISTS contract_volume_left")
