"""Booking: GIN index on asset_view.regions for the availability search.

find_free ranks the assets that serve the searched region first and looks at the others only
when those do not fill the page; `regions @> ARRAY[region]` through this index reads the ~15 %
of assets that serve a region instead of testing every row (~5 ms of a search at 10,000
assets, docs/benchmarks.md).

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_asset_view_regions ON asset_view USING gin (regions)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_asset_view_regions")
