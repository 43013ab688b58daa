"""Booking: availability and blackouts in the asset read model; contract read model.

Revision ID: 0002
"""

from alembic import op

from services.booking.models import Base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE asset_view ADD COLUMN IF NOT EXISTS home_base text NOT NULL DEFAULT ''")
    op.execute(
        "ALTER TABLE asset_view ADD COLUMN IF NOT EXISTS availability jsonb NOT NULL DEFAULT '[]'"
    )
    op.execute(
        "ALTER TABLE asset_view ADD COLUMN IF NOT EXISTS blackouts jsonb NOT NULL DEFAULT '[]'"
    )
    Base.metadata.create_all(
        bind=op.get_bind(), tables=[Base.metadata.tables["contract_view"]], checkfirst=True
    )
    op.execute(
        "ALTER TABLE contract_view ADD CONSTRAINT contract_volume_left "
        "CHECK (remaining_volume >= 0)"
    )
