"""Catalog: indexes for asset search (trigram) and for filtered lists in name order.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# list_assets matches free text with lower(name|registration) LIKE '%q%'; without these a rare
# term scans every asset (docs/benchmarks.md, "Catalog"). pg_trgm is a trusted contrib extension
# (PostgreSQL 13+), so the database owner may create it.
TRIGRAM = (
    "CREATE INDEX IF NOT EXISTS ix_assets_name_trgm ON assets USING gin (lower(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_assets_registration_trgm ON assets "
    "USING gin (lower(registration) gin_trgm_ops)",
)
# A list filtered by category or owner, in the default (name) order, reads only its own rows.
FILTERED_BY_NAME = (
    "CREATE INDEX IF NOT EXISTS ix_assets_category_name ON assets (category, lower(name), id)",
    "CREATE INDEX IF NOT EXISTS ix_assets_owner_name ON assets (owner_org, lower(name), id)",
)
INDEXES = (
    "ix_assets_name_trgm",
    "ix_assets_registration_trgm",
    "ix_assets_category_name",
    "ix_assets_owner_name",
)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for statement in TRIGRAM + FILTERED_BY_NAME:
        op.execute(statement)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # The trigram indexes were its only users. pg_trgm puts its functions and operator classes in
    # public, so leaving it would leave them behind on a downgrade to base. Without CASCADE, an
    # object created outside the migrations that still uses it stops the downgrade here.
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
