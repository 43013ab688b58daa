"""Catalog: kit tables, reference data, assets and tariffs.

Revision ID: 0001
"""

from alembic import op

from services.catalog.models import Base
from services.catalog.reference import ORGANISATIONS, SAFETY_REGIONS
from shared.migrate import create_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    create_kit_tables(bind)
    Base.metadata.create_all(bind=bind)
    # One asset's tariff periods never overlap (half-open date ranges).
    op.execute(
        """
        ALTER TABLE tariffs ADD CONSTRAINT tariffs_no_overlap EXCLUDE USING gist
        (asset_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&)
        """
    )
    op.execute("CREATE INDEX ix_assets_category ON assets (category)")
    op.execute("CREATE INDEX ix_assets_regions ON assets USING gin (regions)")
    op.bulk_insert(
        Base.metadata.tables["regions"], [{"code": c, "name": n} for c, n in SAFETY_REGIONS]
    )
    op.bulk_insert(
        Base.metadata.tables["organisations"],
        [{"id": i, "name": n, "kind": k} for i, n, k in ORGANISATIONS],
    )
