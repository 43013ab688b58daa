"""Cost-sharing: indexes for the national figures, which the database now adds up per period
(services/costsharing/figures_sql.py): allocations by the day of their use, booking facts by
their request time (the evaluation's requests), and the ledger's few reversal and correction
lines by allocation (a partial index: the originals, nearly every line, are not in it, so an
allocation's current amount is found without reading the whole ledger).

Revision ID: 0008
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_allocations_used_on ON allocations (used_on)")
    op.execute("CREATE INDEX ix_booking_facts_requested_at ON booking_facts (requested_at)")
    op.execute(
        "CREATE INDEX ix_ledger_entries_corrections ON ledger_entries (allocation_id, kind)"
        " WHERE entry <> 'original'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_ledger_entries_corrections")
    op.execute("DROP INDEX IF EXISTS ix_booking_facts_requested_at")
    op.execute("DROP INDEX IF EXISTS ix_allocations_used_on")
