"""Booking: an index for the capacity board's per-asset look at the next 24 hours.

The board (services/booking/board.py) asks, per asset, for its published windows that end
after ``at`` and start before ``at + 24 h``. ix_asset_windows_asset_id finds an asset's
windows but then reads each from the heap (a daily rule is a window a day, each on another
page). ix_asset_windows_asset_upper holds (asset_id, upper(during)) with ``during`` included:
the windows still to end come in order from one or two index pages, without the heap. It is
a btree on the asset first, so the time-first search (which reads ix_asset_windows_span) is
not tempted by it.

Revision ID: 0010
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_asset_windows_asset_upper ON asset_windows "
        "(asset_id, upper(during)) INCLUDE (during)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_asset_windows_asset_upper")
