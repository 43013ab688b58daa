"""Catalog: coordinates for the crisis fast path.

Each safety region gets its seat (the town) and the seat's location; each asset may record
its home base's location. Both are JSON objects {lat, lon} (WGS84, decimal degrees). The 25
seats are approximate (the town centre): an escalation ranks alternatives by straight-line
travel from an asset's home base to the requested region's seat.

Revision ID: 0007
"""

import json

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (code, seat, lat, lon)
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


def upgrade() -> None:
    op.execute("ALTER TABLE regions ADD COLUMN seat TEXT, ADD COLUMN seat_location JSONB")
    op.execute("ALTER TABLE assets ADD COLUMN home_location JSONB")
    bind = op.get_bind()
    for code, seat, lat, lon in REGION_SEATS:
        bind.exec_driver_sql(
            "UPDATE regions SET seat = %(seat)s, seat_location = CAST(%(location)s AS jsonb) "
            "WHERE code = %(code)s",
            {"code": code, "seat": seat, "location": json.dumps({"lat": lat, "lon": lon})},
        )


def downgrade() -> None:
    op.execute("ALTER TABLE assets DROP COLUMN IF EXISTS home_location")
    op.execute(
        "ALTER TABLE regions DROP COLUMN IF EXISTS seat_location, DROP COLUMN IF EXISTS seat"
    )
