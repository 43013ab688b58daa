"""Catalog: availability windows, blackouts, framework contracts, booking commitments.

Revision ID: 0002
"""

from alembic import op

from services.catalog.models import Base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_TABLES = ("availability_windows", "blackouts", "framework_contracts", "asset_commitments")


def upgrade() -> None:
    tables = [Base.metadata.tables[name] for name in NEW_TABLES]
    Base.metadata.create_all(bind=op.get_bind(), tables=tables, checkfirst=True)
    op.execute("CREATE INDEX IF NOT EXISTS ix_assets_name_lower ON assets (lower(name), id)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_assets_owner ON assets (owner_org)")
