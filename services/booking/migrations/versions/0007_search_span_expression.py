"""Booking: the time-first search reads its own expression index, never a per-asset probe.

A request checks one asset: its active bookings that overlap the window (ix_bookings_active,
GiST on (asset_id, during)). With ix_bookings_active_during (GiST on during alone) beside it,
the generic plan of that prepared check took the time-only index and filtered on asset_id:
every active booking of every asset in that hour was read (1,000 rows, 0.33 ms at 2,000 assets
booked in the same hour; docs/benchmarks.md). The search by time now reads an index on the
expression tstzrange(planned_start, planned_end, '[)') (the value of the generated column
``during``), which a condition on ``during`` cannot use, so per-asset checks only have the
asset-first indexes to choose from.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ACTIVE = "state IN ('requested', 'counter_offered', 'approved', 'in_use')"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_bookings_active_span ON bookings "
        f"USING gist (tstzrange(planned_start, planned_end, '[)')) WHERE {_ACTIVE}"
    )
    op.execute("DROP INDEX IF EXISTS ix_bookings_active_during")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_bookings_active_during ON bookings USING gist (during) "
        f"WHERE {_ACTIVE}"
    )
    op.execute("DROP INDEX IF EXISTS ix_bookings_active_span")
