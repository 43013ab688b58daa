"""Cost-sharing: booking_facts keeps each booking's priority and when an acute request
escalated, so the efficiency figures can show how fast acute requests were decided.

Facts from before this revision have neither (NULL): they count as not acute.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE booking_facts ADD COLUMN priority INTEGER, "
        "ADD COLUMN escalated_at TIMESTAMP WITH TIME ZONE"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE booking_facts DROP COLUMN IF EXISTS escalated_at, "
        "DROP COLUMN IF EXISTS priority"
    )
