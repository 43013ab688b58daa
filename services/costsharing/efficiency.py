"""Efficiency figures ("more safety for the same money") per period and group.

Definitions (DOMAIN.md): utilisation = booked unit-hours / published unit-hours (blackouts,
Defence's own use, are not published); joint use = hours the police used Defence assets;
avoided cost = market reference price × usage (in the tariff's unit) − what the police paid;
procurement savings = (price the unit alone would have reached − joint tier price) ×
quantity; response = hours from request to decision, and the share of decided requests that
were fulfilled; for acute (priority 1) requests also minutes from request to decision and how
many escalated (were not decided within their category's decision time).
Region grouping counts a use where it was used: its booking's region of use (the region the
request named, else the requesting unit's home region; booking facts kept before that was
known: the asset's first region); an order under the ordering unit's home region; published
capacity under its asset's first (home) region. What has none of these is under "unknown".
A period runs from Dutch midnight to Dutch midnight, as statements count it (an allocation
falls on the Dutch date of its use).

How: the database adds up (figures_sql.py): per period, one query sums the booking facts
and one the allocations (with their ledger corrections) per *cell* — category, owner,
requesting unit and region at once — and each grouping folds those few hundred cells, so
all groupings of a period cost about what one does (POST /efficiency/batch asks for several
at once). Only the grouping by region joins allocations with their booking facts. Published
capacity alone is worked out here (weekly rules and blackouts per asset, a few dozen).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.costsharing.domain import parse_period, to_cents
from services.costsharing.figures_sql import allocation_cells, booking_cells
from services.costsharing.models import AssetFacts
from shared.tariffs import DUTCH_ZONE
from shared.timewindows import available_from_payload, hours
from shared.units import home_region

GROUPS = ("category", "region", "requester", "owner")
FULFILLED = ("approved", "in_use", "completed")
UNDECIDED = ("requested", "counter_offered")
UNKNOWN_REGION = "unknown"  # the region group of what has no known region
_STATES = (FULFILLED, UNDECIDED)
# What a cell sums (figures_sql.py's columns), all added as they are.
SUMS = (
    "booked_seconds",
    "requests",
    "fulfilled",
    "decisions",
    "decision_seconds",
    "acute_decided",
    "acute_decision_seconds",
    "acute_escalated",
    "joint_use_hours",
    "avoided_cost",
    "police_paid",
    "procurement_savings",
)


def home_region_of(asset: AssetFacts | None) -> str | None:
    """An asset's first (home) region, where its published capacity counts."""
    return asset.regions[0] if asset is not None and asset.regions else None


def published_hours(asset: AssetFacts, lo: datetime, hi: datetime) -> float:
    return hours(available_from_payload(asset.availability, asset.blackouts, lo=lo, hi=hi))


def dutch_bounds(period: str) -> tuple[date, date, datetime, datetime]:
    """A period's first day, the day after it, and the Dutch midnights around it in UTC."""
    first, after = parse_period(period)
    lo = datetime.combine(first, time(0), DUTCH_ZONE).astimezone(UTC)
    hi = datetime.combine(after, time(0), DUTCH_ZONE).astimezone(UTC)
    return first, after, lo, hi


def _key(group_by: str, cell: dict[str, Any]) -> str:
    if group_by == "region":
        region = home_region(cell["requester"]) if cell["call_off"] else cell["region"]
        return region or UNKNOWN_REGION
    return str(cell[group_by])


def _published(session: Any, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
    """Each asset's published unit-hours in [lo, hi), as a cell (no requester)."""
    cells = []
    for asset in session.scalars(select(AssetFacts)):
        if asset.category == "procurement_item":
            continue
        cells.append(
            {
                "category": asset.category,
                "owner": asset.owner_org,
                "requester": "",
                "region": home_region_of(asset),
                "call_off": False,
                "published_hours": published_hours(asset, lo, hi) * asset.capacity,
            }
        )
    return cells


def _fold(group_by: str, cells: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"published_hours": 0.0})
    for cell in cells:
        if group_by == "requester" and "published_hours" in cell:
            continue  # published capacity has no requester
        g = groups[_key(group_by, cell)]
        g["published_hours"] += cell.get("published_hours", 0.0)
        for figure in SUMS:
            if figure in cell:
                g[figure] = g.get(figure, 0) + cell[figure]
    return groups


def _average(total: Any, count: int, per: int, digits: int) -> float | None:
    return round(float(total) / per / count, digits) if count else None


def _row(group_by: str, key: str, g: dict[str, Any]) -> dict[str, Any]:
    published = g["published_hours"]
    booked = float(g.get("booked_seconds", 0)) / 3600
    requests, decisions = g.get("requests", 0), g.get("decisions", 0)
    acute = g.get("acute_decided", 0)
    return {
        group_by: key,
        "published_hours": round(published, 2),
        "booked_hours": round(booked, 2),
        "utilisation": round(booked / published, 4) if published else None,
        "joint_use_hours": str(Decimal(g.get("joint_use_hours", 0)).quantize(Decimal("0.01"))),
        "avoided_cost": str(to_cents(Decimal(g.get("avoided_cost", 0)))),
        "police_paid": str(to_cents(Decimal(g.get("police_paid", 0)))),
        "procurement_savings": str(to_cents(Decimal(g.get("procurement_savings", 0)))),
        "avg_decision_hours": _average(g.get("decision_seconds"), decisions, 3600, 2),
        "acute_decided": acute,
        "avg_acute_decision_minutes": _average(g.get("acute_decision_seconds"), acute, 60, 1),
        "acute_escalated": g.get("acute_escalated", 0),
        "requests_decided": requests,
        "fulfilled_share": round(g.get("fulfilled", 0) / requests, 4) if requests else None,
    }


def document(period: str, group_by: str, cells: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The answer of GET /efficiency: one row per group, groups in order."""
    groups = _fold(group_by, cells)
    return {
        "period": period,
        "group_by": group_by,
        "currency": "EUR",
        "illustrative_prices": True,
        "rows": [_row(group_by, key, groups[key]) for key in sorted(groups)],
    }


def period_cells(
    session: Any,
    asked: Iterable[tuple[str, str]],
    *,
    published: bool = True,
    bookings: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    """Every cell of each period asked, by the groupings asked of it: published capacity
    (unless not asked), booking facts overlapping it (unless not asked) and allocations used
    in it. A period at a time: each query then reads only its period's rows by the indexes."""
    dims: dict[str, set[str]] = defaultdict(set)
    for period, group_by in asked:
        dims[period].add(group_by)
    cells: dict[str, list[dict[str, Any]]] = {}
    for period, groupings in dims.items():
        first, after, lo, hi = dutch_bounds(period)
        needed = frozenset(groupings)
        found = cells[period] = []
        if bookings:
            found.extend(c for _p, c in booking_cells(session, {period: (lo, hi)}, _STATES, needed))
        found.extend(c for _p, c in allocation_cells(session, {period: (first, after)}, needed))
        if published:
            found.extend(_published(session, lo, hi))
    return cells


def efficiencies(session: Any, asked: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The efficiency figures of each (period, grouping) asked, in that order; a period's
    cells are read once however many of its groupings are asked."""
    cells = period_cells(session, asked)
    return [document(period, group_by, cells[period]) for period, group_by in asked]


def efficiency(session: Any, *, period: str, group_by: str) -> dict[str, Any]:
    """The efficiency figures of ``period``, one row per group, groups in order."""
    return efficiencies(session, [(period, group_by)])[0]
