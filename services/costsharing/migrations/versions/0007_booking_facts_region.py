"""Cost-sharing: booking_facts keeps each booking's region of use (the region its request
named, else the requesting unit's home region), so efficiency and the evaluation count a use
where it was used rather than under its asset's first region.

Facts kept before this revision stay NULL until the booking's next event brings the region;
until then they count under their asset's first region, as before.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE booking_facts ADD COLUMN region TEXT")


def downgrade() -> None:
    op.execute("ALTER TABLE booking_facts DROP COLUMN IF EXISTS region")
