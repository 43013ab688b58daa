"""Cost-sharing: booking_facts keeps each booking's legal basis, so an administrator's preview
of an agreement can say which coming bookings it would cover (agreements are per legal basis).

Facts kept before this revision take the legal basis of their allocation where they have one;
the others stay NULL until the booking's next event brings it.

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE booking_facts ADD COLUMN legal_basis TEXT")
    op.execute(
        "UPDATE booking_facts SET legal_basis = a.legal_basis FROM allocations a "
        "WHERE a.booking_id = booking_facts.booking_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE booking_facts DROP COLUMN IF EXISTS legal_basis")
