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

import functools
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

_BOOKINGS = """
    SELECT p.period, {category} AS category, {owner} AS owner, {requester} AS requester,
           {region} AS region,
           COALESCE(SUM((date_part('epoch', LEAST(f.planned_end, p.hi))
                          - date_part('epoch', GREATEST(f.planned_start, p.lo))) * f.quantity)
                    FILTER (WHERE f.state = ANY(:fulfilled)), 0) AS booked_seconds,
           COUNT(*) FILTER (WHERE NOT f.state = ANY(:undecided)) AS requests,
           COUNT(*) FILTER (WHERE f.state = ANY(:fulfilled)) AS fulfilled,
           COUNT(f.decided_at) AS decisions,
           COALESCE(SUM({seconds}), 0) AS decision_seconds,
           COUNT(f.decided_at) FILTER (WHERE f.priority = 1) AS acute_decided,
           COALESCE(SUM({seconds}) FILTER (WHERE f.priority = 1), 0) AS acute_decision_seconds,
           COUNT(f.escalated_at) AS acute_escalated
      FROM unnest(:periods, :los, :his) AS p(period, lo, hi)
      JOIN booking_facts f ON f.planned_start < p.hi AND f.planned_end > p.lo
      {joins}
     GROUP BY 1, 2, 3, 4, 5
"""
_BOOKING_PARAMS = (
    bindparam("periods", type_=ARRAY(Text)),
    bindparam("los", type_=ARRAY(DateTime(timezone=True))),
    bindparam("his", type_=ARRAY(DateTime(timezone=True))),
    bindparam("fulfilled", type_=ARRAY(Text)),
    bindparam("undecided", type_=ARRAY(Text)),
)
_ASSET_JOIN = "LEFT JOIN asset_facts a ON a.asset_id = f.asset_id"
_NONE = "NULL::text"


@functools.cache
def _bookings(dims: frozenset[str]) -> Any:
    """The bookings' query grouped by the dimensions a period's groupings need (the others
    are NULL: fewer, bigger cells are cheaper to add up)."""
    by_region = "region" in dims
    return text(
        _BOOKINGS.format(
            category="f.category" if "category" in dims else _NONE,
            owner="f.owner_org" if "owner" in dims else _NONE,
            requester="f.requester_org" if "requester" in dims else _NONE,
            region=_USED_IN if by_region else _NONE,
            seconds=_SECONDS,
            joins=_ASSET_JOIN if by_region else "",
        )
    ).bindparams(*_BOOKING_PARAMS)


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
        SELECT p.period, {category} AS category, {owner} AS owner, {requester} AS requester,
               {call_off} AS call_off, {region} AS region,
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


@functools.cache
def _allocations(dims: frozenset[str]) -> Any:
    """The allocations' query grouped by the dimensions a period's groupings need. By region:
    each use's region (a booking's region of use, else its asset's first region; a call-off's
    is its requester's, which efficiency.py looks up), the one grouping that needs the join
    with the booking facts (half the query)."""
    by_region = "region" in dims
    return text(
        _ALLOCATIONS.format(
            category="l.category" if "category" in dims else _NONE,
            owner="l.owner_org" if "owner" in dims else _NONE,
            requester="l.requester_org" if dims & {"requester", "region"} else _NONE,
            call_off="l.kind = 'procurement'" if by_region else "false",
            region=f"CASE WHEN l.kind <> 'procurement' THEN {_USED_IN} END" if by_region else _NONE,
            paid=_PAID,
            joins="""LEFT JOIN booking_facts f ON f.booking_id = l.booking_id
          LEFT JOIN asset_facts a ON a.asset_id = f.asset_id"""
            if by_region
            else "",
        )
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
    states: tuple[Sequence[str], Sequence[str]],
    dims: frozenset[str],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(period, cell) for the booking facts whose planned time overlaps each window, cells
    by the groupings ``dims`` (states: the fulfilled ones and the undecided ones)."""
    periods, (fulfilled, undecided) = list(windows), states
    for row in _rows(
        session,
        _bookings(dims),
        periods=periods,
        los=[windows[p][0] for p in periods],
        his=[windows[p][1] for p in periods],
        fulfilled=list(fulfilled),
        undecided=list(undecided),
    ):
        yield row.pop("period"), {**row, "call_off": False}


def allocation_cells(
    session: Any, days: Mapping[str, tuple[date, date]], dims: frozenset[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(period, cell) for the allocations used on the days [first, after) of each period,
    cells by the groupings ``dims``."""
    periods = list(days)
    for row in _rows(
        session,
        _allocations(dims),
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
