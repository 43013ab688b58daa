"""Catalog: a covering index for free-text search in name order.

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # list_assets finds a name-ordered search page's ids with an index-only scan of this index:
    # the LIKE on lower(name) and lower(registration) and the filters read index columns, so a
    # term whose matches sort late skips non-matching assets at a fraction of a heap row's cost.
    # name and registration are included only because the planner considers an index-only scan
    # of an expression index when the expression's columns are in the index too.
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_assets_name_search ON assets "
        "(lower(name), id, lower(registration)) "
        "INCLUDE (name, registration, status, category, owner_org, regions)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_assets_name_search")
