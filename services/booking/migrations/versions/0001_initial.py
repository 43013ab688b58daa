"""Booking: kit tables, asset read model, bookings with the no-overlap constraint, audit trail.

Frozen DDL: the tables are written out as they stood when this revision stopped building them
from the models (``Base.metadata.create_all``). That state already included the tables and
columns that 0002 and 0003 add to databases created before them (those revisions use
IF NOT EXISTS, so on a fresh database they only add their constraints and indexes).

Revision ID: 0001
"""

from alembic import op

from shared.migrate import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# In foreign-key order; constraint names are PostgreSQL's defaults (e.g. bookings_pkey).
TABLES = (
    """
    CREATE TABLE asset_view (
        asset_id UUID NOT NULL,
        owner_org TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        booking_mode TEXT NOT NULL,
        regions TEXT[] NOT NULL,
        capacity INTEGER NOT NULL,
        readiness_notice TEXT NOT NULL,
        status TEXT NOT NULL,
        tariffs JSONB NOT NULL,
        home_base TEXT NOT NULL,
        notice_seconds INTEGER NOT NULL,
        availability JSONB NOT NULL,
        blackouts JSONB NOT NULL,
        version INTEGER NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (asset_id)
    )
    """,
    """
    CREATE TABLE asset_windows (
        id SERIAL NOT NULL,
        asset_id UUID NOT NULL,
        during TSTZRANGE NOT NULL,
        PRIMARY KEY (id)
    )
    """,
    "CREATE INDEX ix_asset_windows_asset_id ON asset_windows (asset_id)",
    """
    CREATE TABLE booking_series (
        id UUID NOT NULL,
        requester_org TEXT NOT NULL,
        asset_id UUID NOT NULL,
        rule JSONB NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id)
    )
    """,
    """
    CREATE TABLE contract_view (
        contract_id UUID NOT NULL,
        owner_org TEXT NOT NULL,
        reference TEXT NOT NULL,
        supplier TEXT NOT NULL,
        valid_from DATE NOT NULL,
        valid_to DATE NOT NULL,
        total_volume INTEGER NOT NULL,
        remaining_volume INTEGER NOT NULL,
        item_ids TEXT[] NOT NULL,
        tiers JSONB NOT NULL,
        PRIMARY KEY (contract_id)
    )
    """,
    """
    CREATE TABLE bookings (
        id UUID NOT NULL,
        asset_id UUID NOT NULL,
        owner_org TEXT NOT NULL,
        requester_org TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        category TEXT NOT NULL,
        holds_slot BOOLEAN NOT NULL,
        needs_preemption BOOLEAN NOT NULL,
        series_id UUID,
        counter_asset_id UUID,
        counter_start TIMESTAMP WITH TIME ZONE,
        counter_end TIMESTAMP WITH TIME ZONE,
        preempted_by UUID,
        alternatives JSONB,
        planned_start TIMESTAMP WITH TIME ZONE NOT NULL,
        planned_end TIMESTAMP WITH TIME ZONE NOT NULL,
        during TSTZRANGE
            GENERATED ALWAYS AS (tstzrange(planned_start, planned_end, '[)')) STORED NOT NULL,
        quantity INTEGER NOT NULL,
        priority INTEGER NOT NULL,
        legal_basis TEXT NOT NULL,
        purpose TEXT NOT NULL,
        contact TEXT NOT NULL,
        state TEXT NOT NULL,
        tariff JSONB,
        expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
        actual_start TIMESTAMP WITH TIME ZONE,
        actual_end TIMESTAMP WITH TIME ZONE,
        usage_quantity NUMERIC(12, 2),
        version INTEGER NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        decided_at TIMESTAMP WITH TIME ZONE,
        PRIMARY KEY (id),
        FOREIGN KEY(asset_id) REFERENCES asset_view (asset_id)
    )
    """,
    """
    CREATE TABLE orders (
        id UUID NOT NULL,
        contract_id UUID NOT NULL,
        item_id UUID NOT NULL,
        requester_org TEXT NOT NULL,
        owner_org TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        delivery_date DATE NOT NULL,
        unit_price NUMERIC(12, 2) NOT NULL,
        solo_unit_price NUMERIC(12, 2) NOT NULL,
        market_reference_price NUMERIC(12, 2),
        legal_basis TEXT NOT NULL,
        purpose TEXT NOT NULL,
        ordered_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(contract_id) REFERENCES contract_view (contract_id)
    )
    """,
    """
    CREATE TABLE booking_transitions (
        id SERIAL NOT NULL,
        booking_id UUID NOT NULL,
        action TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        actor TEXT NOT NULL,
        actor_org TEXT NOT NULL,
        reason TEXT,
        at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(booking_id) REFERENCES bookings (id)
    )
    """,
    "CREATE INDEX ix_booking_transitions_booking_id ON booking_transitions (booking_id)",
)


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    create_kit_tables(bind)
    for statement in TABLES:
        op.execute(statement)
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


# TABLES in reverse (foreign-key) order. IF EXISTS because a database whose 0001 ran before this
# DDL was frozen may lack the tables that 0002 and 0003 add only when missing (and those
# revisions' downgrades leave them to this one); each table takes its own indexes, keys and
# SERIAL sequence with it.
DROP_TABLES = (
    "DROP TABLE IF EXISTS booking_transitions",
    "DROP TABLE IF EXISTS orders",
    "DROP TABLE IF EXISTS bookings",
    "DROP TABLE IF EXISTS contract_view",
    "DROP TABLE IF EXISTS booking_series",
    "DROP TABLE IF EXISTS asset_windows",
    "DROP TABLE IF EXISTS asset_view",
)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_bookings_expiry")
    op.execute("DROP INDEX IF EXISTS ix_bookings_owner")
    op.execute("DROP INDEX IF EXISTS ix_bookings_requester")
    op.execute("DROP INDEX IF EXISTS ix_bookings_active")
    op.execute("ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_no_overlap")
    for statement in DROP_TABLES:
        op.execute(statement)
    drop_kit_tables(op.get_bind())
    # Last: the exclusion constraint above was its only user. Without CASCADE, an object created
    # outside the migrations that still uses btree_gist stops the downgrade here.
    op.execute("DROP EXTENSION IF EXISTS btree_gist")
