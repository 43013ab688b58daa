"""Booking: materialised availability for search, series, orders.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Literal DDL (frozen); no-ops on databases whose 0001 already created these tables.
NEW_TABLES = (
    """
    CREATE TABLE IF NOT EXISTS asset_windows (
        id SERIAL NOT NULL,
        asset_id UUID NOT NULL,
        during TSTZRANGE NOT NULL,
        PRIMARY KEY (id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ix_asset_windows_asset_id ON asset_windows (asset_id)",
    """
    CREATE TABLE IF NOT EXISTS booking_series (
        id UUID NOT NULL,
        requester_org TEXT NOT NULL,
        asset_id UUID NOT NULL,
        rule JSONB NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS orders (
        id UUID NOT NULL,
        contract_id UUID NOT NULL,
        item_id UUID NOT NULL,
        requester_org TEXT NOT NULL,
        owner_org TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        delivery_date DATE NOT NULL,
        unit_price NUMERIC(12, 2) NOT NULL,
        solo_unit_price NUMERIC(12, 2) NOT NULL,
        market_reference_price NUMERIC(12, 2),
        legal_basis TEXT NOT NULL,
        purpose TEXT NOT NULL,
        ordered_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(contract_id) REFERENCES contract_view (contract_id)
    )
    """,
)


def upgrade() -> None:
    op.execute(
        "ALTER TABLE asset_view ADD COLUMN IF NOT EXISTS notice_seconds integer NOT NULL DEFAULT 0"
    )
    for statement in NEW_TABLES:
        op.execute(statement)
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_asset_windows_during ON asset_windows "
        "USING gist (asset_id, during)"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_asset_view_search ON asset_view (category, status)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_orders_contract ON orders (contract_id)")


def downgrade() -> None:
    # Only the indexes the frozen 0001 does not create; notice_seconds and the tables are 0001's
    # to drop (see 0002's downgrade). ix_asset_windows_during is back here because 0004's
    # downgrade recreated it.
    op.execute("DROP INDEX IF EXISTS ix_orders_contract")
    op.execute("DROP INDEX IF EXISTS ix_asset_view_search")
    op.execute("DROP INDEX IF EXISTS ix_asset_windows_during")
