"""Cost-sharing: the ledger lines each closed statement holds (statement_lines).

A closed statement used to be worked out again from the ledger on every read, so an
allocation that reached its period after closing changed the closed figures. Now closing
records which lines it held; the key makes a line part of one closed statement at most.

Statements closed before this revision get the lines of their organisation and period that
were written before they closed (``created_at <= closed_at``, as near as the stored times tell),
the earliest closed first where two overlap. Periods not spelled in ASCII digits (accepted
before) get none: their lines show as having arrived after closing.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Literal DDL (frozen).
STATEMENT_LINES = (
    """
    CREATE TABLE statement_lines (
        ledger_entry_id INTEGER NOT NULL,
        statement_id UUID NOT NULL,
        PRIMARY KEY (ledger_entry_id),
        FOREIGN KEY(ledger_entry_id) REFERENCES ledger_entries (id),
        FOREIGN KEY(statement_id) REFERENCES statements (id)
    )
    """,
    "CREATE INDEX ix_statement_lines_statement_id ON statement_lines (statement_id)",
)

# Each CASE tests the spelling it converts (no other branch, and no WHERE, is relied on to
# keep an unconvertible period away from the casts); anything else has no days and no lines.
BACKFILL = """
    INSERT INTO statement_lines (ledger_entry_id, statement_id)
    SELECT e.id, s.id
    FROM statements s
    CROSS JOIN LATERAL (
        SELECT CASE
            WHEN s.period ~ '^[0-9]{4}-Q[1-4]$' AND s.period !~ '^0000' THEN
                make_date(substr(s.period, 1, 4)::int, 3 * substr(s.period, 7, 1)::int - 2, 1)
            WHEN s.period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' AND s.period !~ '^0000' THEN
                make_date(substr(s.period, 1, 4)::int, substr(s.period, 6, 2)::int, 1)
            WHEN s.period ~ '^[0-9]{4}$' AND s.period <> '0000' THEN
                make_date(s.period::int, 1, 1)
        END AS first_day,
        CASE
            WHEN s.period ~ '-Q' THEN interval '3 months'
            WHEN s.period ~ '-' THEN interval '1 month'
            ELSE interval '1 year'
        END AS length
    ) p
    JOIN ledger_entries e ON e.org = s.org AND e.created_at <= s.closed_at
    JOIN allocations a
        ON a.id = e.allocation_id
        AND a.used_on >= p.first_day
        AND a.used_on < p.first_day + p.length
    ORDER BY s.closed_at, s.id, e.id
    ON CONFLICT (ledger_entry_id) DO NOTHING
"""


def upgrade() -> None:
    for statement in STATEMENT_LINES:
        op.execute(statement)
    op.execute(BACKFILL)


def downgrade() -> None:
    # The index and the keys go with the table; the statements keep their stored totals.
    op.execute("DROP TABLE IF EXISTS statement_lines")
