"""The national capacity board: per safety region and category, how many assets are free now
and in the next 24 hours, and how many bookings are requested or in use. Counts only: no
purpose, no unit, no asset names, so every signed-in role may read it for the whole country.

What the counts mean (docs/architecture.md, "The live capacity board"):

- an asset counts in every safety region it serves (a national asset in all 25);
- *free now*: active, booked by time (not a procurement item), its published availability
  (minus blackouts) holds the moment ``at``, and its active bookings then leave a unit free;
- *free in the next 24 h*: published for some part of ``[at, at + 24 h)`` that no active
  booking covers (an asset of several units counts as taken where any booking covers it: the
  count errs on the side of too few);
- readiness notice is not taken into account (the search by time does that for a window);
- *requested*: requests and counter-offers awaiting agreement; *in use*: started, not
  completed. A booking counts in its region of use (shared/units.py, as booking's read and
  cost-sharing's figures count it): the region its request named, else the requesting
  unit's home region, else (an organisation without one) its asset's first region.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.booking.commands import ReadBoard
from services.booking.domain import ACTIVE_STATES, State, check_in_range
from services.booking.models import RegionSeat
from shared.errors import Invalid
from shared.units import HOME_REGIONS

BOARD_CATEGORIES = ("helicopter", "drone", "dive_team", "search_team", "terrain")
HORIZON = timedelta(hours=24)
REQUESTED_STATES = (State.REQUESTED, State.COUNTER_OFFERED)

_ACTIVE = "(" + ", ".join(f"'{s.value}'" for s in ACTIVE_STATES) + ")"
_REQUESTED = "(" + ", ".join(f"'{s.value}'" for s in REQUESTED_STATES) + ")"

# Per asset first (a MATERIALIZED CTE: otherwise the probes ran once per asset and region),
# then spread over the regions it serves. Windows by their bounds, not ``during &&``: that
# would let the planner AND in ix_asset_windows_span, which reads every asset's windows of
# the day per probe; ``upper(during) > :at`` reads ix_asset_windows_asset_upper (migration
# 0010) without the heap. Bookings by ix_bookings_active. bench/board.py times it.
_FREE = text(
    f"""
    WITH per_asset AS MATERIALIZED (
        SELECT a.category, a.regions,
               EXISTS (SELECT 1 FROM asset_windows w
                       WHERE w.asset_id = a.asset_id
                         AND lower(w.during) <= :at AND upper(w.during) > :at)
               AND a.capacity > COALESCE((
                   SELECT sum(b.quantity) FROM bookings b
                   WHERE b.asset_id = a.asset_id AND b.state IN {_ACTIVE}
                     AND b.during @> CAST(:at AS timestamptz)), 0) AS free_now,
               NOT isempty(
                   COALESCE((SELECT range_agg(w.during * tstzrange(:at, :until, '[)'))
                             FROM asset_windows w
                             WHERE w.asset_id = a.asset_id
                               AND upper(w.during) > :at AND lower(w.during) < :until),
                            '{{}}'::tstzmultirange)
                   - COALESCE((SELECT range_agg(b.during) FROM bookings b
                               WHERE b.asset_id = a.asset_id AND b.state IN {_ACTIVE}
                                 AND b.during && tstzrange(:at, :until, '[)')),
                              '{{}}'::tstzmultirange)
               ) AS free_soon
        FROM asset_view a
        WHERE a.status = 'active' AND a.booking_mode <> 'quantity'
    )
    SELECT region, p.category,
           count(*) FILTER (WHERE p.free_now) AS free_now,
           count(*) FILTER (WHERE p.free_soon) AS free_next_24h
    FROM per_asset p CROSS JOIN LATERAL unnest(p.regions) AS region
    GROUP BY region, p.category
    """
)


def region_of_use_sql(booking: str, asset: str) -> str:
    """SQL for where the booking aliased ``booking`` counts: ``shared.units.region_of_use``
    (the named region, else the unit's home region), else the first region of the asset
    aliased ``asset``. The home regions are our own constants, written into the SQL."""
    homes = " ".join(f"WHEN '{org}' THEN '{code}'" for org, code in sorted(HOME_REGIONS.items()))
    return (
        f"COALESCE({booking}.region, CASE {booking}.requester_org {homes} END, {asset}.regions[1])"
    )


_BOOKED = text(
    f"""
    SELECT {region_of_use_sql("b", "a")} AS region, b.category,
           count(*) FILTER (WHERE b.state IN {_REQUESTED}) AS requested,
           count(*) FILTER (WHERE b.state = 'in_use') AS in_use
    FROM bookings b JOIN asset_view a ON a.asset_id = b.asset_id
    WHERE b.state IN {_REQUESTED} OR b.state = 'in_use'
    GROUP BY 1, 2
    """
)


def capacity_board(session: Session, query: ReadBoard) -> dict[str, Any]:
    """``{at, until, rows}`` at ``query.at`` (None: now): a row for every safety region and
    category, regions in code order and categories in BOARD_CATEGORIES order, each with its four
    counts (zeros included)."""
    at = query.at or datetime.now(UTC)
    try:
        until = at + HORIZON
    except OverflowError:
        raise Invalid(
            "Times must lie before the year 10000 (UTC).", errors={"at": ["Out of range."]}
        ) from None
    check_in_range(at=until)  # and its UTC equivalent, to be compared in the database
    counts: dict[tuple[str, str], dict[str, int]] = {}

    def row(region: str, category: str) -> dict[str, int]:
        return counts.setdefault(
            (region, category), {"free_now": 0, "free_next_24h": 0, "requested": 0, "in_use": 0}
        )

    for found in session.execute(_FREE, {"at": at, "until": until}):
        row(found.region, found.category).update(
            free_now=found.free_now, free_next_24h=found.free_next_24h
        )
    for found in session.execute(_BOOKED):
        if found.region is not None:
            row(found.region, found.category).update(requested=found.requested, in_use=found.in_use)
    regions = session.scalars(select(RegionSeat.code).order_by(RegionSeat.code)).all()
    return {
        "at": at,
        "until": until,
        "rows": [
            {"region": region, "category": category, **row(region, category)}
            for region in regions
            for category in BOARD_CATEGORIES
        ],
    }
