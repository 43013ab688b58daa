"""Cost-sharing: kit tables, agreements, allocations, the append-only ledger, read models.

Frozen DDL: the tables are written out as they stood when this revision stopped building them
from the models (``Base.metadata.create_all``).

Revision ID: 0001
"""

from alembic import op

from shared.migrate import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# In foreign-key order; constraint names are PostgreSQL's defaults (e.g. allocations_pkey) where
# the models gave none.
TABLES = (
    """
    CREATE TABLE agreements (
        id UUID NOT NULL,
        name TEXT NOT NULL,
        legal_basis TEXT NOT NULL,
        category TEXT,
        owner_org TEXT,
        requester_org TEXT,
        valid_from DATE NOT NULL,
        valid_to DATE,
        price_basis TEXT NOT NULL,
        requester_share_pct NUMERIC(5, 2) NOT NULL,
        charge_mobilisation BOOLEAN NOT NULL,
        cancellation_free_hours INTEGER NOT NULL,
        cancellation_pct NUMERIC(5, 2) NOT NULL,
        version INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id)
    )
    """,
    """
    CREATE TABLE asset_facts (
        asset_id UUID NOT NULL,
        owner_org TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        regions TEXT[] NOT NULL,
        capacity INTEGER NOT NULL,
        tariffs JSONB NOT NULL,
        availability JSONB NOT NULL,
        blackouts JSONB NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (asset_id)
    )
    """,
    """
    CREATE TABLE booking_facts (
        booking_id UUID NOT NULL,
        asset_id UUID NOT NULL,
        requester_org TEXT NOT NULL,
        owner_org TEXT NOT NULL,
        category TEXT NOT NULL,
        state TEXT NOT NULL,
        planned_start TIMESTAMP WITH TIME ZONE NOT NULL,
        planned_end TIMESTAMP WITH TIME ZONE NOT NULL,
        quantity INTEGER NOT NULL,
        usage_quantity NUMERIC(12, 2),
        market_reference_price NUMERIC(14, 2),
        requested_at TIMESTAMP WITH TIME ZONE NOT NULL,
        decided_at TIMESTAMP WITH TIME ZONE,
        version INTEGER NOT NULL,
        PRIMARY KEY (booking_id)
    )
    """,
    "CREATE INDEX ix_booking_facts_asset_id ON booking_facts (asset_id)",
    """
    CREATE TABLE statements (
        id UUID NOT NULL,
        org TEXT NOT NULL,
        period TEXT NOT NULL,
        totals JSONB NOT NULL,
        closed_by TEXT NOT NULL,
        closed_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT uq_statement_org_period UNIQUE (org, period)
    )
    """,
    """
    CREATE TABLE agreement_versions (
        agreement_id UUID NOT NULL,
        version INTEGER NOT NULL,
        terms JSONB NOT NULL,
        changed_by TEXT NOT NULL,
        changed_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (agreement_id, version),
        FOREIGN KEY(agreement_id) REFERENCES agreements (id)
    )
    """,
    """
    CREATE TABLE allocations (
        id UUID NOT NULL,
        booking_id UUID NOT NULL,
        kind TEXT NOT NULL,
        source_event_id TEXT NOT NULL,
        state TEXT NOT NULL,
        agreement_id UUID,
        agreement_version INTEGER,
        requester_org TEXT NOT NULL,
        owner_org TEXT NOT NULL,
        category TEXT NOT NULL,
        legal_basis TEXT NOT NULL,
        usage_quantity NUMERIC(12, 2) NOT NULL,
        total NUMERIC(14, 2),
        requester_amount NUMERIC(14, 2),
        owner_amount NUMERIC(14, 2),
        basis JSONB NOT NULL,
        used_on DATE NOT NULL,
        statement_id UUID,
        version INTEGER NOT NULL,
        occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT uq_allocation_booking_kind UNIQUE (booking_id, kind),
        FOREIGN KEY(agreement_id) REFERENCES agreements (id)
    )
    """,
    """
    CREATE TABLE allocation_reviews (
        id SERIAL NOT NULL,
        allocation_id UUID NOT NULL,
        action TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        actor TEXT NOT NULL,
        actor_org TEXT NOT NULL,
        reason TEXT,
        at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(allocation_id) REFERENCES allocations (id)
    )
    """,
    "CREATE INDEX ix_allocation_reviews_allocation_id ON allocation_reviews (allocation_id)",
    """
    CREATE TABLE ledger_entries (
        id SERIAL NOT NULL,
        allocation_id UUID NOT NULL,
        org TEXT NOT NULL,
        side TEXT NOT NULL,
        kind TEXT NOT NULL,
        entry TEXT NOT NULL,
        amount NUMERIC(14, 2) NOT NULL,
        source_event_id TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(allocation_id) REFERENCES allocations (id)
    )
    """,
    "CREATE INDEX ix_ledger_entries_allocation_id ON ledger_entries (allocation_id)",
    "CREATE INDEX ix_ledger_entries_org ON ledger_entries (org)",
)


def upgrade() -> None:
    bind = op.get_bind()
    create_kit_tables(bind)
    for statement in TABLES:
        op.execute(statement)
    op.execute(
        """
        CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ledger_entries is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
            ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();
        """
    )
    op.execute(
        "ALTER TABLE ledger_entries ADD CONSTRAINT ledger_amount_positive CHECK (amount >= 0)"
    )
    op.execute(
        "ALTER TABLE ledger_entries ADD CONSTRAINT ledger_side CHECK (side IN ('debit', 'credit'))"
    )


# TABLES in reverse (foreign-key) order; each table takes its own indexes, keys and SERIAL
# sequence with it.
DROP_TABLES = (
    "DROP TABLE IF EXISTS ledger_entries",
    "DROP TABLE IF EXISTS allocation_reviews",
    "DROP TABLE IF EXISTS allocations",
    "DROP TABLE IF EXISTS agreement_versions",
    "DROP TABLE IF EXISTS statements",
    "DROP TABLE IF EXISTS booking_facts",
    "DROP TABLE IF EXISTS asset_facts",
    "DROP TABLE IF EXISTS agreements",
)


def downgrade() -> None:
    op.execute("ALTER TABLE ledger_entries DROP CONSTRAINT IF EXISTS ledger_side")
    op.execute("ALTER TABLE ledger_entries DROP CONSTRAINT IF EXISTS ledger_amount_positive")
    # DROP TABLE fires no DELETE or TRUNCATE trigger, so the append-only guard does not stand in
    # the way; it goes explicitly, before the function it calls.
    op.execute("DROP TRIGGER IF EXISTS ledger_append_only ON ledger_entries")
    op.execute("DROP FUNCTION IF EXISTS ledger_is_append_only()")
    for statement in DROP_TABLES:
        op.execute(statement)
    drop_kit_tables(op.get_bind())
