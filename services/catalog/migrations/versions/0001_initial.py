"""Catalog: kit tables, reference data, assets and tariffs.

Frozen DDL: the tables are written out as they stood when this revision stopped building them
from the models (``Base.metadata.create_all``). That state already included the tables 0002
adds to databases created before it (0002 uses IF NOT EXISTS, so on a fresh database it only
adds its indexes).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from shared.migrate import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# In foreign-key order; constraint names are PostgreSQL's defaults (e.g. assets_pkey) where the
# models gave none.
TABLES = (
    """
    CREATE TABLE asset_commitments (
        booking_id UUID NOT NULL,
        asset_id UUID NOT NULL,
        state TEXT NOT NULL,
        planned_start TIMESTAMP WITH TIME ZONE NOT NULL,
        planned_end TIMESTAMP WITH TIME ZONE NOT NULL,
        requester_org TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (booking_id)
    )
    """,
    "CREATE INDEX ix_asset_commitments_asset_id ON asset_commitments (asset_id)",
    """
    CREATE TABLE organisations (
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        PRIMARY KEY (id)
    )
    """,
    """
    CREATE TABLE regions (
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (code)
    )
    """,
    """
    CREATE TABLE assets (
        id UUID NOT NULL,
        owner_org TEXT NOT NULL,
        registration TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        booking_mode TEXT NOT NULL,
        home_base TEXT NOT NULL,
        regions TEXT[] NOT NULL,
        capacity INTEGER NOT NULL,
        readiness_notice TEXT NOT NULL,
        attributes JSONB NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT uq_asset_registration UNIQUE (owner_org, registration),
        FOREIGN KEY(owner_org) REFERENCES organisations (id)
    )
    """,
    """
    CREATE TABLE framework_contracts (
        id UUID NOT NULL,
        owner_org TEXT NOT NULL,
        reference TEXT NOT NULL,
        supplier TEXT NOT NULL,
        description TEXT NOT NULL,
        valid_from DATE NOT NULL,
        valid_to DATE NOT NULL,
        total_volume INTEGER NOT NULL,
        item_ids UUID[] NOT NULL,
        tiers JSONB NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(owner_org) REFERENCES organisations (id),
        UNIQUE (reference)
    )
    """,
    """
    CREATE TABLE availability_windows (
        id UUID NOT NULL,
        asset_id UUID NOT NULL,
        kind TEXT NOT NULL,
        start_at TIMESTAMP WITH TIME ZONE,
        end_at TIMESTAMP WITH TIME ZONE,
        weekdays INTEGER[],
        start_time TEXT,
        end_time TEXT,
        valid_from DATE,
        valid_to DATE,
        timezone TEXT NOT NULL,
        note TEXT,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(asset_id) REFERENCES assets (id)
    )
    """,
    "CREATE INDEX ix_availability_windows_asset_id ON availability_windows (asset_id)",
    """
    CREATE TABLE blackouts (
        id UUID NOT NULL,
        asset_id UUID NOT NULL,
        start_at TIMESTAMP WITH TIME ZONE NOT NULL,
        end_at TIMESTAMP WITH TIME ZONE NOT NULL,
        reason TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(asset_id) REFERENCES assets (id)
    )
    """,
    "CREATE INDEX ix_blackouts_asset_id ON blackouts (asset_id)",
    """
    CREATE TABLE tariffs (
        id UUID NOT NULL,
        asset_id UUID NOT NULL,
        unit TEXT NOT NULL,
        full_cost_rate NUMERIC(12, 2) NOT NULL,
        marginal_cost_rate NUMERIC(12, 2) NOT NULL,
        mobilisation_fee NUMERIC(12, 2) NOT NULL,
        market_reference_price NUMERIC(12, 2) NOT NULL,
        currency TEXT NOT NULL,
        valid_from DATE NOT NULL,
        valid_to DATE,
        PRIMARY KEY (id),
        FOREIGN KEY(asset_id) REFERENCES assets (id)
    )
    """,
)

regions = sa.table("regions", sa.column("code", sa.Text), sa.column("name", sa.Text))
organisations = sa.table(
    "organisations",
    sa.column("id", sa.Text),
    sa.column("name", sa.Text),
    sa.column("kind", sa.Text),
)


# The reference data this revision seeds, frozen here as it stood (DOMAIN.md): a later change
# to regions or organisations is a migration of its own, or an administrator's edit.
SAFETY_REGIONS: list[tuple[str, str]] = [
    ("VR01", "Groningen"),
    ("VR02", "Friesland"),
    ("VR03", "Drenthe"),
    ("VR04", "IJsselland"),
    ("VR05", "Twente"),
    ("VR06", "Noord- en Oost-Gelderland"),
    ("VR07", "Gelderland-Midden"),
    ("VR08", "Gelderland-Zuid"),
    ("VR09", "Utrecht"),
    ("VR10", "Noord-Holland Noord"),
    ("VR11", "Zaanstreek-Waterland"),
    ("VR12", "Kennemerland"),
    ("VR13", "Amsterdam-Amstelland"),
    ("VR14", "Gooi en Vechtstreek"),
    ("VR15", "Haaglanden"),
    ("VR16", "Hollands Midden"),
    ("VR17", "Rotterdam-Rijnmond"),
    ("VR18", "Zuid-Holland Zuid"),
    ("VR19", "Zeeland"),
    ("VR20", "Midden- en West-Brabant"),
    ("VR21", "Brabant-Noord"),
    ("VR22", "Brabant-Zuidoost"),
    ("VR23", "Limburg-Noord"),
    ("VR24", "Zuid-Limburg"),
    ("VR25", "Flevoland"),
]

# (id, name, kind). Ids are stable: tokens carry them in the 'org' claim.
ORGANISATIONS: list[tuple[str, str, str]] = [
    ("politie-noord-nederland", "Eenheid Noord-Nederland", "politie"),
    ("politie-oost-nederland", "Eenheid Oost-Nederland", "politie"),
    ("politie-midden-nederland", "Eenheid Midden-Nederland", "politie"),
    ("politie-noord-holland", "Eenheid Noord-Holland", "politie"),
    ("politie-amsterdam", "Eenheid Amsterdam", "politie"),
    ("politie-den-haag", "Eenheid Den Haag", "politie"),
    ("politie-rotterdam", "Eenheid Rotterdam", "politie"),
    ("politie-zeeland-west-brabant", "Eenheid Zeeland-West-Brabant", "politie"),
    ("politie-oost-brabant", "Eenheid Oost-Brabant", "politie"),
    ("politie-limburg", "Eenheid Limburg", "politie"),
    ("politie-landelijke-eenheid", "Landelijke Eenheid", "politie"),
    ("politie-financien", "Nationale Politie — Financiën", "politie"),
    ("defensie-dhc", "Defensie Helikopter Commando", "defensie"),
    ("defensie-duikgroep", "Defensie Duikgroep", "defensie"),
    ("defensie-306sqn", "306 Squadron (UAS)", "defensie"),
    ("defensie-genie", "101 Geniebataljon (Advanced Search Teams)", "defensie"),
    ("defensie-eod", "Explosieven Opruimingsdienst Defensie", "defensie"),
    ("defensie-oefenterreinen", "Oefenterreinbeheer Defensie", "defensie"),
    ("defensie-dmo", "Defensie Materieel Organisatie (DMO)", "defensie"),
    ("defensie-financien", "Defensie — Financiën", "defensie"),
    ("joint", "Gezamenlijk controller / functioneel beheer", "joint"),
]


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    create_kit_tables(bind)
    for statement in TABLES:
        op.execute(statement)
    # One asset's tariff periods never overlap (half-open date ranges).
    op.execute(
        """
        ALTER TABLE tariffs ADD CONSTRAINT tariffs_no_overlap EXCLUDE USING gist
        (asset_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&)
        """
    )
    op.execute("CREATE INDEX ix_assets_category ON assets (category)")
    op.execute("CREATE INDEX ix_assets_regions ON assets USING gin (regions)")
    op.bulk_insert(regions, [{"code": c, "name": n} for c, n in SAFETY_REGIONS])
    op.bulk_insert(organisations, [{"id": i, "name": n, "kind": k} for i, n, k in ORGANISATIONS])


# TABLES in reverse (foreign-key) order. IF EXISTS because a database whose 0001 ran before this
# DDL was frozen may lack the tables that 0002 adds only when missing (and 0002's downgrade
# leaves them to this one); each table takes its own indexes, keys and rows (the reference data
# seeded above) with it.
DROP_TABLES = (
    "DROP TABLE IF EXISTS tariffs",
    "DROP TABLE IF EXISTS blackouts",
    "DROP TABLE IF EXISTS availability_windows",
    "DROP TABLE IF EXISTS framework_contracts",
    "DROP TABLE IF EXISTS assets",
    "DROP TABLE IF EXISTS regions",
    "DROP TABLE IF EXISTS organisations",
    "DROP TABLE IF EXISTS asset_commitments",
)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_assets_regions")
    op.execute("DROP INDEX IF EXISTS ix_assets_category")
    op.execute("ALTER TABLE tariffs DROP CONSTRAINT IF EXISTS tariffs_no_overlap")
    for statement in DROP_TABLES:
        op.execute(statement)
    drop_kit_tables(op.get_bind())
    # Last: the exclusion constraint above was its only user. Without CASCADE, an object created
    # outside the migrations that still uses btree_gist stops the downgrade here.
    op.execute("DROP EXTENSION IF EXISTS btree_gist")
