"""Booking: the crisis fast path.

- bookings: ``region`` (where the asset is needed), ``decide_by`` and ``escalated_at`` (an
  acute request's decision clock; it escalates at most once), ``held_for`` and
  ``hold_expires_at`` (a hold placed for a preempted unit);
- the new state ``held`` holds capacity: the exclusion constraint and the partial indexes on
  active bookings are rebuilt with it;
- ``category_decision_times`` (an administrator changes them) seeded with the defaults;
- ``region_seats``: the 25 safety regions' seats (approximate WGS84 coordinates of the seat's
  town centre), booking's own copy for the travel-time estimate;
- ``asset_view.home_location``: the home base's coordinates from catalog's events.

Revision ID: 0008
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ACTIVE = "state IN ('requested', 'counter_offered', 'approved', 'in_use')"
_ACTIVE_WITH_HOLDS = "state IN ('requested', 'counter_offered', 'approved', 'in_use', 'held')"

DECISION_MINUTES = [
    ("helicopter", 15),
    ("drone", 15),
    ("dive_team", 30),
    ("search_team", 30),
    ("terrain", 60),
]

# (code, seat, lat, lon): the seat town of each veiligheidsregio, approximately.
REGION_SEATS = [
    ("VR01", "Groningen", 53.2194, 6.5665),
    ("VR02", "Leeuwarden", 53.2012, 5.7999),
    ("VR03", "Assen", 52.9925, 6.5649),
    ("VR04", "Zwolle", 52.5168, 6.0830),
    ("VR05", "Enschede", 52.2215, 6.8937),
    ("VR06", "Apeldoorn", 52.2112, 5.9699),
    ("VR07", "Arnhem", 51.9851, 5.8987),
    ("VR08", "Nijmegen", 51.8126, 5.8372),
    ("VR09", "Utrecht", 52.0907, 5.1214),
    ("VR10", "Alkmaar", 52.6324, 4.7534),
    ("VR11", "Zaandam", 52.4420, 4.8292),
    ("VR12", "Haarlem", 52.3874, 4.6462),
    ("VR13", "Amsterdam", 52.3676, 4.9041),
    ("VR14", "Hilversum", 52.2292, 5.1669),
    ("VR15", "Den Haag", 52.0705, 4.3007),
    ("VR16", "Leiden", 52.1601, 4.4970),
    ("VR17", "Rotterdam", 51.9244, 4.4777),
    ("VR18", "Dordrecht", 51.8133, 4.6901),
    ("VR19", "Middelburg", 51.4988, 3.6136),
    ("VR20", "Tilburg", 51.5555, 5.0913),
    ("VR21", "'s-Hertogenbosch", 51.6978, 5.3037),
    ("VR22", "Eindhoven", 51.4416, 5.4697),
    ("VR23", "Venlo", 51.3704, 6.1724),
    ("VR24", "Maastricht", 50.8514, 5.6910),
    ("VR25", "Lelystad", 52.5185, 5.4714),
]


def _active_set(predicate: str) -> None:
    """The exclusion constraint and the partial indexes on active bookings, over ``predicate``."""
    op.execute("ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_no_overlap")
    op.execute("DROP INDEX IF EXISTS ix_bookings_active")
    op.execute("DROP INDEX IF EXISTS ix_bookings_active_span")
    op.execute(
        "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist "
        f"(asset_id WITH =, during WITH &&) WHERE (holds_slot AND {predicate})"
    )
    op.execute(
        f"CREATE INDEX ix_bookings_active ON bookings USING gist (asset_id, during) "
        f"WHERE {predicate}"
    )
    op.execute(
        "CREATE INDEX ix_bookings_active_span ON bookings "
        f"USING gist (tstzrange(planned_start, planned_end, '[)')) WHERE {predicate}"
    )


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE bookings
            ADD COLUMN region TEXT,
            ADD COLUMN decide_by TIMESTAMPTZ,
            ADD COLUMN escalated_at TIMESTAMPTZ,
            ADD COLUMN held_for UUID,
            ADD COLUMN hold_expires_at TIMESTAMPTZ
        """
    )
    op.execute("ALTER TABLE asset_view ADD COLUMN home_location JSONB")
    _active_set(_ACTIVE_WITH_HOLDS)
    # The sweeps: undecided acute requests past their clock, and holds past their end.
    op.execute(
        "CREATE INDEX ix_bookings_decide_by ON bookings (decide_by) "
        "WHERE state = 'requested' AND escalated_at IS NULL AND decide_by IS NOT NULL"
    )
    op.execute("CREATE INDEX ix_bookings_holds ON bookings (expires_at) WHERE state = 'held'")
    op.execute(
        """
        CREATE TABLE category_decision_times (
            category TEXT PRIMARY KEY,
            decision_minutes INTEGER NOT NULL
                CHECK (decision_minutes BETWEEN 1 AND 1440),
            updated_by TEXT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE region_seats (
            code TEXT PRIMARY KEY,
            seat TEXT NOT NULL,
            lat DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
            lon DOUBLE PRECISION NOT NULL CHECK (lon BETWEEN -180 AND 180)
        )
        """
    )
    values = ", ".join(f"('{c}', {m}, 'migration 0008')" for c, m in DECISION_MINUTES)
    op.execute(
        "INSERT INTO category_decision_times (category, decision_minutes, updated_by) "
        f"VALUES {values}"
    )
    seats = ", ".join(
        "('{}', '{}', {}, {})".format(code, seat.replace("'", "''"), lat, lon)
        for code, seat, lat, lon in REGION_SEATS
    )
    op.execute(f"INSERT INTO region_seats (code, seat, lat, lon) VALUES {seats}")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS region_seats")
    op.execute("DROP TABLE IF EXISTS category_decision_times")
    op.execute("DROP INDEX IF EXISTS ix_bookings_holds")
    op.execute("DROP INDEX IF EXISTS ix_bookings_decide_by")
    # Holds lapse with the state that knew them: nothing may stay held without it.
    op.execute("UPDATE bookings SET state = 'expired' WHERE state = 'held'")
    _active_set(_ACTIVE)
    op.execute("ALTER TABLE asset_view DROP COLUMN IF EXISTS home_location")
    op.execute(
        """
        ALTER TABLE bookings
            DROP COLUMN IF EXISTS hold_expires_at,
            DROP COLUMN IF EXISTS held_for,
            DROP COLUMN IF EXISTS escalated_at,
            DROP COLUMN IF EXISTS decide_by,
            DROP COLUMN IF EXISTS region
        """
    )
