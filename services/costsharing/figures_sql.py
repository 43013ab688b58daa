"""The national figures' sums, added up by the database: booking facts and allocations per
cell (category, owner, requesting unit, region of use) and period, and requests per region
with their decision times' percentiles. efficiency.py and evaluation.py fold and format them.

Each query takes a list of periods (a join with their bounds; efficiency.py passes one at a
time, which lets each read its period's rows by the indexes). The arithmetic is the one the
Python figures did row by row: seconds as float8 (as Python's were), money and hours of use
exact (numeric, from the allocation's basis as Decimal read it), a booking's region of use
else its asset's first region (an empty one counting as none).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Date, DateTime, Text

# Where a booking's use counts: its region of use, else its asset's first region.
_USED_IN = "COALESCE(NULLIF(f.region, ''), NULLIF(a.regions[1], ''))"
# Seconds as float8 (date_part), as the Python figures had them: numeric EXTRACT is several
# times slower to add up over a year's rows.
_SECONDS = "(date_part('epoch', f.decided_at) - date_part('epoch', f.requested_at))"

_BOOKINGS = text(f"""
    SELECT p.period, f.category, f.owner_org AS owner, f.requester_org AS requester,
           {_USED_IN} AS region,
           COALESCE(SUM((date_part('epoch', LEAST(f.planned_end, p.hi))
                          - date_part('epoch', GREATEST(f.planned_start, p.lo))) * f.quantity)
                    FILTER (WHERE f.state = ANY(:fulfilled)), 0) AS booked_seconds,
           COUNT(*) FILTER (WHERE NOT f.state = ANY(:undecided)) AS requests,
           COUNT(*) FILTER (WHERE f.state = ANY(:fulfilled)) AS fulfilled,
           COUNT(f.decided_at) AS decisions,
           COALESCE(SUM({_SECONDS}), 0) AS decision_seconds,
           COUNT(f.decided_at) FILTER (WHERE f.priority = 1) AS acute_decided,
           COALESCE(SUM({_SECONDS}) FILTER (WHERE f.priority = 1), 0) AS acute_decision_seconds,
           COUNT(f.escalated_at) AS acute_escalated
      FROM unnest(:periods, :los, :his) AS p(period, lo, hi)
      JOIN booking_facts f ON f.planned_start < p.hi AND f.planned_end > p.lo
      LEFT JOIN asset_facts a ON a.asset_id = f.asset_id
     GROUP BY 1, 2, 3, 4, 5
""").bindparams(
    bindparam("periods", type_=ARRAY(Text)),
    bindparam("los", type_=ARRAY(DateTime(timezone=True))),
    bindparam("his", type_=ARRAY(DateTime(timezone=True))),
    bindparam("fulfilled", type_=ARRAY(Text)),
    bindparam("undecided", type_=ARRAY(Text)),
)

# An allocation's current requester amount: as priced plus its reversal and correction
# lines (models._current); the police pay it when the requester is a police organisation.
_PAID = """CASE WHEN l.requester_org LIKE 'politie-%'
                THEN COALESCE(l.requester_amount + c.corrected, l.requester_amount,
                              c.corrected, 0)
                ELSE 0 END"""
_ALLOCATIONS = """
    WITH corrections AS (
        SELECT e.allocation_id,
               SUM(CASE WHEN e.side = 'debit' THEN e.amount ELSE -e.amount END) AS corrected
          FROM ledger_entries e
         WHERE e.entry <> 'original' AND e.kind = 'requester_share'
         GROUP BY e.allocation_id
    ), used AS (
        SELECT p.period, l.category, l.owner_org AS owner, l.requester_org AS requester,
               l.kind = 'procurement' AS call_off, {region} AS region,
               l.kind, l.usage_quantity, l.basis, {paid} AS paid
          FROM unnest(:periods, :firsts, :afters) AS p(period, first, after)
          JOIN allocations l ON l.used_on >= p.first AND l.used_on < p.after
          LEFT JOIN corrections c ON c.allocation_id = l.id
          {joins}
    )
    SELECT period, category, owner, requester, call_off, region,
           SUM(paid) AS police_paid,
           COALESCE(SUM(COALESCE(NULLIF(basis->>'hours', ''), usage_quantity::text)::numeric)
                    FILTER (WHERE kind = 'usage'), 0) AS joint_use_hours,
           COALESCE(SUM((basis->'tariff'->>'market_reference_price')::numeric
                        * usage_quantity - paid)
                    FILTER (WHERE kind = 'usage'), 0) AS avoided_cost,
           COALESCE(SUM(((basis->>'solo_unit_price')::numeric
                         - (basis->>'unit_price')::numeric) * usage_quantity)
                    FILTER (WHERE kind = 'procurement'), 0) AS procurement_savings
      FROM used
     GROUP BY 1, 2, 3, 4, 5, 6
"""
_ALLOCATION_PARAMS = (
    bindparam("periods", type_=ARRAY(Text)),
    bindparam("firsts", type_=ARRAY(Date)),
    bindparam("afters", type_=ARRAY(Date)),
)
# With each use's region (a booking's region of use, else its asset's first region; a
# order's is its requester's, which efficiency.py looks up) and without: the join with the
# booking facts is half the query, and only the grouping by region needs it.
_ALLOCATIONS_BY_REGION = text(
    _ALLOCATIONS.format(
        region=f"CASE WHEN l.kind <> 'procurement' THEN {_USED_IN} END",
        paid=_PAID,
        joins="""LEFT JOIN booking_facts f ON f.booking_id = l.booking_id
          LEFT JOIN asset_facts a ON a.asset_id = f.asset_id""",
    )
).bindparams(*_ALLOCATION_PARAMS)
_ALLOCATIONS_ANYWHERE = text(
    _ALLOCATIONS.format(region="NULL::text", paid=_PAID, joins="")
).bindparams(*_ALLOCATION_PARAMS)

_REQUESTS = text(f"""
    SELECT p.period, GROUPING({_USED_IN}) = 1 AS national, {_USED_IN} AS region,
           COUNT(*) AS requests,
           COUNT(*) FILTER (WHERE NOT f.state = ANY(:undecided)) AS decided,
           COUNT(*) FILTER (WHERE f.state = ANY(:fulfilled)) AS fulfilled,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY {_SECONDS} / 60) AS median,
           percentile_disc(0.9) WITHIN GROUP (ORDER BY {_SECONDS} / 60) AS p90
      FROM unnest(:periods, :los, :his) AS p(period, lo, hi)
      JOIN booking_facts f ON f.requested_at >= p.lo AND f.requested_at < p.hi
      LEFT JOIN asset_facts a ON a.asset_id = f.asset_id
     GROUP BY GROUPING SETS ((p.period, {_USED_IN}), (p.period))
""").bindparams(
    bindparam("periods", type_=ARRAY(Text)),
    bindparam("los", type_=ARRAY(DateTime(timezone=True))),
    bindparam("his", type_=ARRAY(DateTime(timezone=True))),
    bindparam("fulfilled", type_=ARRAY(Text)),
    bindparam("undecided", type_=ARRAY(Text)),
)


def _rows(session: Any, query: Any, **params: Any) -> Iterator[dict[str, Any]]:
    for row in session.execute(query, params).mappings():
        yield dict(row)


def booking_cells(
    session: Any,
    windows: Mapping[str, tuple[datetime, datetime]],
    fulfilled: Sequence[str],
    undecided: Sequence[str],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(period, cell) for the booking facts whose planned time overlaps each window."""
    periods = list(windows)
    for row in _rows(
        session,
        _BOOKINGS,
        periods=periods,
        los=[windows[p][0] for p in periods],
        his=[windows[p][1] for p in periods],
        fulfilled=list(fulfilled),
        undecided=list(undecided),
    ):
        yield row.pop("period"), {**row, "call_off": False}


def allocation_cells(
    session: Any, days: Mapping[str, tuple[date, date]], *, by_region: bool
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(period, cell) for the allocations used on the days [first, after) of each period;
    without ``by_region`` every cell's region is None."""
    periods = list(days)
    for row in _rows(
        session,
        _ALLOCATIONS_BY_REGION if by_region else _ALLOCATIONS_ANYWHERE,
        periods=periods,
        firsts=[days[p][0] for p in periods],
        afters=[days[p][1] for p in periods],
    ):
        yield row.pop("period"), row


def request_figures(
    session: Any,
    windows: Mapping[str, tuple[datetime, datetime]],
    fulfilled: Sequence[str],
    undecided: Sequence[str],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(period, figures) per region of use (None: no known region) and for the whole
    (``national`` true) of the requests made in each window: counts and the nearest-rank
    median and 90th percentile of the minutes from request to decision."""
    periods = list(windows)
    yield from (
        (row.pop("period"), row)
        for row in _rows(
            session,
            _REQUESTS,
            periods=periods,
            los=[windows[p][0] for p in periods],
            his=[windows[p][1] for p in periods],
            fulfilled=list(fulfilled),
            undecided=list(undecided),
        )
    )
