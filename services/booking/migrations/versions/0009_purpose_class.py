"""Booking: a purpose class per booking, and an index for the public drone register.

- bookings.purpose_class: search, event_surveillance, investigation or other (a CHECK keeps
  it to the enumeration); existing bookings get ``other``, as does a request that names none;
- ix_bookings_public_register: completed uses by category and actual end, newest first, the
  order the public register (GET /api/v1/public/drone-deployments) pages in.

Revision ID: 0009
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE bookings ADD COLUMN IF NOT EXISTS purpose_class text NOT NULL "
        "DEFAULT 'other' CONSTRAINT ck_bookings_purpose_class CHECK (purpose_class IN "
        "('search', 'event_surveillance', 'investigation', 'other'))"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_bookings_public_register ON bookings "
        "(category, actual_end DESC, id DESC) WHERE state = 'completed'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_bookings_public_register")
    op.execute("ALTER TABLE bookings DROP COLUMN IF EXISTS purpose_class")
