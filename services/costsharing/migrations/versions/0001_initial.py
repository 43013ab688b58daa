"""Cost-sharing: kit tables, agreements, allocations, the append-only ledger, read models.

Revision ID: 0001
"""

from alembic import op

from services.costsharing.models import Base
from shared.migrate import create_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    create_kit_tables(bind)
    Base.metadata.create_all(bind=bind)
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
