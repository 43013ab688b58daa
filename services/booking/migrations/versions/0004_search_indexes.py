"""Booking: indexes for the set-based availability search.

find_free looks up, for all assets at once, the active bookings that overlap the window and the
published windows that cover it. The GiST indexes that lead with asset_id serve a probe per asset
but not a search by time alone: that reads the whole index. ix_asset_windows_during (asset_id,
during) goes, because the planner takes it for the search by time too (an index-only scan of
all of it, ~50 ms at 10,000 assets); the one-asset check (is_published) uses the btree
ix_asset_windows_asset_id instead (one row per published window of that asset).

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_bookings_active_during ON bookings USING gist (during) "
        "WHERE state IN ('requested', 'counter_offered', 'approved', 'in_use')"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_asset_windows_span ON asset_windows "
        "USING gist (during) INCLUDE (asset_id)"
    )
    op.execute("DROP INDEX IF EXISTS ix_asset_windows_during")


def downgrade() -> None:
    # 0003's index as 0003 creates it, so that 0003's downgrade finds what it expects.
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_asset_windows_during ON asset_windows "
        "USING gist (asset_id, during)"
    )
    op.execute("DROP INDEX IF EXISTS ix_asset_windows_span")
    op.execute("DROP INDEX IF EXISTS ix_bookings_active_during")
