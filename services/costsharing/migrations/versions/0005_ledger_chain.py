"""Cost-sharing: the ledger becomes a hash chain, so a changed, removed or reordered line shows.

One chain over the whole ledger (not per organisation): one head to check, one order. Each
line gets ``chain_seq`` (its place: 1, 2, 3… without gaps), ``prev_hash`` (the hash of the
line before it; 64 zeros for the first) and ``hash``: SHA-256 over its fields, each written as
``<length>:<text>`` (unambiguous, and simple to redo offline: services/costsharing/ledger_chain
.py). ``ledger_entry_fields`` is the one definition of those fields' text; the export reads it
too, so the offline check never re-formats a number or a timestamp.

A BEFORE INSERT trigger links every new line, whatever inserts it (a review's Core insert, the
batch consumer's one-statement bulk insert): it takes a transaction-level advisory lock, so
writers of ledger lines take turns until they commit, reads the head (the highest chain_seq,
a fresh snapshot per statement under READ COMMITTED) and links to it. A unique chain_seq
refuses a fork should a writer ever read a stale head. Lines written before this revision are
linked here, in id order.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LEDGER_CHAIN_LOCK = 0x534C4C43  # "SLLC": one ledger writer at a time, until it commits

FUNCTIONS = f"""
CREATE FUNCTION ledger_entry_fields(e ledger_entries) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT ARRAY[
        e.chain_seq::text, e.id::text, e.allocation_id::text, e.org, e.side, e.kind, e.entry,
        e.amount::text, e.source_event_id,
        to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.prev_hash
    ]
$$;

CREATE FUNCTION ledger_fields_hash(fields text[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(
        string_agg(char_length(f)::text || ':' || f, '' ORDER BY n), 'UTF8')), 'hex')
    FROM unnest(fields) WITH ORDINALITY AS t(f, n)
$$;

CREATE FUNCTION ledger_chain_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock({LEDGER_CHAIN_LOCK});
    SELECT chain_seq, hash INTO last_seq, last_hash
        FROM ledger_entries ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.hash := ledger_fields_hash(ledger_entry_fields(NEW));
    RETURN NEW;
END $$;
"""

LINK_EXISTING = """
DO $$
DECLARE
    line ledger_entries;
    seq bigint := 0;
    last_hash text := repeat('0', 64);
BEGIN
    FOR line IN SELECT * FROM ledger_entries ORDER BY id LOOP
        seq := seq + 1;
        line.chain_seq := seq;
        line.prev_hash := last_hash;
        line.hash := ledger_fields_hash(ledger_entry_fields(line));
        UPDATE ledger_entries SET chain_seq = line.chain_seq, prev_hash = line.prev_hash,
            hash = line.hash WHERE id = line.id;
        last_hash := line.hash;
    END LOOP;
END $$;
"""


def upgrade() -> None:
    op.execute(
        "ALTER TABLE ledger_entries ADD COLUMN chain_seq BIGINT, ADD COLUMN prev_hash TEXT, "
        "ADD COLUMN hash TEXT"
    )
    op.execute(FUNCTIONS)
    # The one sanctioned rewrite of ledger rows: adding the chain to lines already written.
    op.execute("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_append_only")
    op.execute(LINK_EXISTING)
    op.execute("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_append_only")
    op.execute(
        "ALTER TABLE ledger_entries ALTER COLUMN chain_seq SET NOT NULL, "
        "ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL"
    )
    op.execute("CREATE UNIQUE INDEX uq_ledger_entries_chain_seq ON ledger_entries (chain_seq)")
    op.execute(
        "CREATE TRIGGER ledger_chain BEFORE INSERT ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_chain_link()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_chain ON ledger_entries")
    op.execute("DROP FUNCTION IF EXISTS ledger_chain_link()")
    op.execute("DROP FUNCTION IF EXISTS ledger_fields_hash(text[])")
    op.execute("DROP FUNCTION IF EXISTS ledger_entry_fields(ledger_entries)")
    op.execute("DROP INDEX IF EXISTS uq_ledger_entries_chain_seq")
    op.execute(
        "ALTER TABLE ledger_entries DROP COLUMN chain_seq, DROP COLUMN prev_hash, DROP COLUMN hash"
    )
