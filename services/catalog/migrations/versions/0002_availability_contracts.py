"""Catalog: availability windows, blackouts, framework contracts, booking commitments.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Literal DDL (frozen); no-ops on databases whose 0001 already created these tables.
NEW_TABLES = (
    """
    CREATE TABLE IF NOT EXISTS asset_commitments (
        booking_id UUID NOT NULL,
        asset_id UUID NOT NULL,
        state TEXT NOT NULL,
        planned_start TIMESTAMP WITH TIME ZONE NOT NULL,
        planned_end TIMESTAMP WITH TIME ZONE NOT NULL,
        requester_org TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (booking_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ix_asset_commitments_asset_id ON asset_commitments (asset_id)",
    """
    CREATE TABLE IF NOT EXISTS framework_contracts (
        id UUID NOT NULL,
        owner_org TEXT NOT NULL,
        reference TEXT NOT NULL,
        supplier TEXT NOT NULL,
        description TEXT NOT NULL,
        valid_from DATE NOT NULL,
        valid_to DATE NOT NULL,
        total_volume INTEGER NOT NULL,
        item_ids UUID[] NOT NULL,
        tiers JSONB NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(owner_org) REFERENCES organisations (id),
        UNIQUE (reference)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS availability_windows (
        id UUID NOT NULL,
        asset_id UUID NOT NULL,
        kind TEXT NOT NULL,
        start_at TIMESTAMP WITH TIME ZONE,
        end_at TIMESTAMP WITH TIME ZONE,
        weekdays INTEGER[],
        start_time TEXT,
        end_time TEXT,
        valid_from DATE,
        valid_to DATE,
        timezone TEXT NOT NULL,
        note TEXT,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(asset_id) REFERENCES assets (id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ix_availability_windows_asset_id "
    "ON availability_windows (asset_id)",
    """
    CREATE TABLE IF NOT EXISTS blackouts (
        id UUID NOT NULL,
        asset_id UUID NOT NULL,
        start_at TIMESTAMP WITH TIME ZONE NOT NULL,
        end_at TIMESTAMP WITH TIME ZONE NOT NULL,
        reason TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(asset_id) REFERENCES assets (id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ix_blackouts_asset_id ON blackouts (asset_id)",
)


def upgrade() -> None:
    for statement in NEW_TABLES:
        op.execute(statement)
    op.execute("CREATE INDEX IF NOT EXISTS ix_assets_name_lower ON assets (lower(name), id)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_assets_owner ON assets (owner_org)")


def downgrade() -> None:
    # Only the indexes: on a database built by the frozen 0001 the tables above already existed
    # (IF NOT EXISTS left them alone), so they are 0001's to drop. On an older database this
    # leaves them in place, which 0002's upgrade accepts again.
    op.execute("DROP INDEX IF EXISTS ix_assets_owner")
    op.execute("DROP INDEX IF EXISTS ix_assets_name_lower")
