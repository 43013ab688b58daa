"""Catalog: newest (or oldest) assets of a category without sorting the whole category.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A category listed by creation date (sort=created_at / -created_at) read every asset of the
    # category and sorted it: 2,222 rows, ~5 ms for one page at 10,000 assets
    # (docs/benchmarks.md, "Catalog"); in this order a page reads only its own rows.
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_assets_category_created ON assets (category, created_at, id)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_assets_category_created")
