"""Notify: kit tables, notifications and read marks, mailboxes, preferences, webhooks,
deliveries and their attempts.

Frozen DDL, as the other services' migrations: a later model change needs a new revision.

Revision ID: 0001
"""

from alembic import op

from shared.migrate import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# In foreign-key order.
TABLES = (
    """
    CREATE TABLE booking_states (
        booking_id UUID NOT NULL,
        state TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (booking_id)
    )
    """,
    """
    CREATE TABLE mailboxes (
        org TEXT NOT NULL,
        role TEXT NOT NULL,
        address TEXT NOT NULL,
        language TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (org, role)
    )
    """,
    """
    CREATE TABLE notifications (
        id UUID NOT NULL,
        event_id UUID NOT NULL,
        kind TEXT NOT NULL,
        org TEXT NOT NULL,
        role TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        params JSONB NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT uq_notification_event_recipient UNIQUE (event_id, org, role)
    )
    """,
    "CREATE INDEX ix_notifications_inbox ON notifications (org, role, created_at, id)",
    """
    CREATE TABLE preferences (
        sub TEXT NOT NULL,
        org TEXT NOT NULL,
        roles TEXT[] NOT NULL,
        language TEXT NOT NULL,
        email TEXT,
        email_kinds TEXT[] NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (sub)
    )
    """,
    """
    CREATE TABLE webhooks (
        id UUID NOT NULL,
        org TEXT NOT NULL,
        url TEXT NOT NULL,
        kinds TEXT[] NOT NULL,
        secret TEXT NOT NULL,
        state TEXT NOT NULL,
        consecutive_failures INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (id)
    )
    """,
    "CREATE INDEX ix_webhooks_org ON webhooks (org)",
    """
    CREATE TABLE deliveries (
        id BIGSERIAL NOT NULL,
        channel TEXT NOT NULL,
        event_id UUID NOT NULL,
        kind TEXT NOT NULL,
        webhook_id UUID,
        recipient TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL,
        language TEXT,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL,
        last_error TEXT,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        sent_at TIMESTAMP WITH TIME ZONE,
        PRIMARY KEY (id),
        CONSTRAINT uq_delivery_webhook_event UNIQUE (webhook_id, event_id),
        FOREIGN KEY (webhook_id) REFERENCES webhooks (id)
    )
    """,
    "CREATE INDEX ix_deliveries_due ON deliveries (channel, next_attempt_at) "
    "WHERE state = 'pending'",
    "CREATE INDEX ix_deliveries_webhook_id ON deliveries (webhook_id)",
    """
    CREATE TABLE notification_reads (
        notification_id UUID NOT NULL,
        sub TEXT NOT NULL,
        read_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        PRIMARY KEY (notification_id, sub),
        FOREIGN KEY (notification_id) REFERENCES notifications (id)
    )
    """,
    """
    CREATE TABLE delivery_attempts (
        id BIGSERIAL NOT NULL,
        delivery_id BIGINT NOT NULL,
        attempt INTEGER NOT NULL,
        at TIMESTAMP WITH TIME ZONE NOT NULL,
        ok BOOLEAN NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY (delivery_id) REFERENCES deliveries (id)
    )
    """,
    "CREATE INDEX ix_delivery_attempts_delivery_id ON delivery_attempts (delivery_id)",
    # A delivery is one of the two channels, and a webhook call names its webhook.
    """
    ALTER TABLE deliveries ADD CONSTRAINT delivery_channel CHECK (
        (channel = 'email' AND webhook_id IS NULL)
        OR (channel = 'webhook' AND webhook_id IS NOT NULL)
    )
    """,
    """
    ALTER TABLE deliveries ADD CONSTRAINT delivery_state
        CHECK (state IN ('pending', 'sent', 'failed'))
    """,
    "ALTER TABLE webhooks ADD CONSTRAINT webhook_state CHECK (state IN ('active', 'paused'))",
)

# In reverse (foreign-key) order; each table takes its indexes, keys and sequences with it.
DROP_TABLES = (
    "DROP TABLE IF EXISTS delivery_attempts",
    "DROP TABLE IF EXISTS notification_reads",
    "DROP TABLE IF EXISTS deliveries",
    "DROP TABLE IF EXISTS webhooks",
    "DROP TABLE IF EXISTS preferences",
    "DROP TABLE IF EXISTS notifications",
    "DROP TABLE IF EXISTS mailboxes",
    "DROP TABLE IF EXISTS booking_states",
)


def upgrade() -> None:
    create_kit_tables(op.get_bind())
    for statement in TABLES:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_TABLES:
        op.execute(statement)
    drop_kit_tables(op.get_bind())
