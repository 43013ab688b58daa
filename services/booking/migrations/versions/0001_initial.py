"""Booking: kit tables, asset read model, bookings with the no-overlap constraint, audit trail.

Revision ID: 0001
"""

from alembic import op

from services.booking.models import Base
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
    # Two active bookings of one slot asset can never overlap; back-to-back ('[)') is fine.
    op.execute(
        """
        ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist
        (asset_id WITH =, during WITH &&)
        WHERE (holds_slot AND state IN ('requested', 'counter_offered', 'approved', 'in_use'))
        """
    )
    op.execute(
        "CREATE INDEX ix_bookings_active ON bookings USING gist (asset_id, during) "
        "WHERE state IN ('requested', 'counter_offered', 'approved', 'in_use')"
    )
    op.execute("CREATE INDEX ix_bookings_requester ON bookings (requester_org, planned_start)")
    op.execute("CREATE INDEX ix_bookings_owner ON bookings (owner_org, state)")
    op.execute("CREATE INDEX ix_bookings_expiry ON bookings (expires_at) WHERE state = 'requested'")
