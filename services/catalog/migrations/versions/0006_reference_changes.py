"""Catalog: the audit trail of administrators' edits to organisations and regions.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE reference_changes (
            id BIGSERIAL NOT NULL,
            subject TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            action TEXT NOT NULL,
            changes JSONB NOT NULL,
            actor TEXT NOT NULL,
            trace_id TEXT,
            changed_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            PRIMARY KEY (id)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_reference_changes_subject ON reference_changes (subject, subject_id, id)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS reference_changes")
