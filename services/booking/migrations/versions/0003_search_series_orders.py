"""Booking: materialised availability for search, series, call-off orders.

Revision ID: 0003
"""

from alembic import op

from services.booking.models import Base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    op.execute(
        "ALTER TABLE asset_view ADD COLUMN IF NOT EXISTS notice_seconds integer NOT NULL DEFAULT 0"
    )
    tables = [Base.metadata.tables[n] for n in ("asset_windows", "booking_series", "orders")]
    Base.metadata.create_all(bind=bind, tables=tables, checkfirst=True)
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_asset_windows_during ON asset_windows "
        "USING gist (asset_id, during)"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_asset_view_search ON asset_view (category, status)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_orders_contract ON orders (contract_id)")
