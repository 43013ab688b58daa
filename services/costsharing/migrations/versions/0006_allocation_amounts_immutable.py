"""Cost-sharing: an allocation's amounts are fixed once written, as ledger lines are.

``total``, ``requester_amount`` and ``owner_amount`` on ``allocations`` are what the
allocation was priced at when it was recorded (NULL when nothing priced it). A trigger refuses
any UPDATE that changes them; a resolution corrects by reversal and correction ledger lines
only, and the allocation's current amounts are its priced amounts plus those lines
(services/costsharing/models.py, ``Allocation.total`` and the others). Rows written before
this revision by a resolution that still changed the amounts in place are set back to what
their original ledger lines say they were priced at.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# What the original lines say (zero lines are never written: a priced allocation without a
# line of a kind had 0.00 of it); NULL where there is no original line at all.
RESTORE_PRICED = """
UPDATE allocations a SET
    total = o.provision, requester_amount = o.requester_share, owner_amount = o.owner_borne
FROM (
    SELECT allocation_id,
        coalesce(sum(amount) FILTER (WHERE kind = 'provision'), 0) AS provision,
        coalesce(sum(amount) FILTER (WHERE kind = 'requester_share'), 0) AS requester_share,
        coalesce(sum(amount) FILTER (WHERE kind = 'owner_borne'), 0) AS owner_borne
    FROM ledger_entries WHERE entry = 'original' GROUP BY allocation_id
) o
WHERE o.allocation_id = a.id AND EXISTS (
    SELECT 1 FROM ledger_entries c WHERE c.allocation_id = a.id AND c.entry <> 'original'
)
"""
# Resolved from needs_agreement before this revision: no original lines, the amounts were the
# resolution's; the correction lines hold them now.
CLEAR_UNPRICED = """
UPDATE allocations a SET total = NULL, requester_amount = NULL, owner_amount = NULL
WHERE NOT EXISTS (SELECT 1 FROM ledger_entries o WHERE o.allocation_id = a.id
                  AND o.entry = 'original')
  AND EXISTS (SELECT 1 FROM ledger_entries c WHERE c.allocation_id = a.id
              AND c.entry = 'correction')
"""


def upgrade() -> None:
    op.execute(RESTORE_PRICED)
    op.execute(CLEAR_UNPRICED)
    op.execute(
        """
        CREATE FUNCTION allocation_amounts_are_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'allocations: the amounts of % are fixed; correct by reversal and '
                'correction ledger lines', OLD.id USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER allocation_amounts_fixed BEFORE UPDATE ON allocations FOR EACH ROW
            WHEN (OLD.total IS DISTINCT FROM NEW.total
                  OR OLD.requester_amount IS DISTINCT FROM NEW.requester_amount
                  OR OLD.owner_amount IS DISTINCT FROM NEW.owner_amount)
            EXECUTE FUNCTION allocation_amounts_are_fixed();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS allocation_amounts_fixed ON allocations")
    op.execute("DROP FUNCTION IF EXISTS allocation_amounts_are_fixed()")
    # Back to amounts kept on the row: the current ones, as the ledger lines net them.
    op.execute(
        """
        UPDATE allocations a SET total = n.provision, requester_amount = n.requester_share,
            owner_amount = n.owner_borne
        FROM (
            SELECT allocation_id,
                coalesce(sum(CASE side WHEN 'credit' THEN amount ELSE -amount END)
                    FILTER (WHERE kind = 'provision'), 0) AS provision,
                coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END)
                    FILTER (WHERE kind = 'requester_share'), 0) AS requester_share,
                coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END)
                    FILTER (WHERE kind = 'owner_borne'), 0) AS owner_borne
            FROM ledger_entries GROUP BY allocation_id
        ) n
        WHERE n.allocation_id = a.id
        """
    )
