"""Notify: the triggers that wake the delivery sweeps (LISTEN/NOTIFY instead of a fast poll).

A delivery insert notifies its channel's sweep (``notify_delivery_email`` or
``notify_delivery_webhook``; the NOTIFY goes out when the transaction commits), and so does a
webhook that becomes active again (its waiting deliveries are due). The channel names are
services.notify.deliveries.wake_channel's. Frozen DDL.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = (
    # One NOTIFY per channel per statement, whatever the number of rows (PostgreSQL also folds
    # identical notifications of one transaction into one).
    """
    CREATE FUNCTION deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('notify_delivery_' || channel, '')
        FROM (SELECT DISTINCT channel FROM new_deliveries) AS written;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries
        REFERENCING NEW TABLE AS new_deliveries
        FOR EACH STATEMENT EXECUTE FUNCTION deliveries_notify()
    """,
    """
    CREATE FUNCTION webhooks_resumed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_notify('notify_delivery_webhook', ''); RETURN NULL; END $$
    """,
    """
    CREATE TRIGGER webhooks_resumed_notify AFTER UPDATE OF state ON webhooks
        FOR EACH ROW WHEN (NEW.state = 'active' AND OLD.state <> 'active')
        EXECUTE FUNCTION webhooks_resumed_notify()
    """,
)

DOWNGRADE = (
    "DROP TRIGGER IF EXISTS webhooks_resumed_notify ON webhooks",
    "DROP FUNCTION IF EXISTS webhooks_resumed_notify()",
    "DROP TRIGGER IF EXISTS deliveries_notify ON deliveries",
    "DROP FUNCTION IF EXISTS deliveries_notify()",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
