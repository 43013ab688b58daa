"""The national figures as cost-sharing worked them out before the database added them up
(services/costsharing/efficiency.py and evaluation.py at 56f0e10: rows loaded into Python
and summed there), kept as the reference test_figures_sql.py compares the SQL with."""

# ruff: noqa
# mypy: ignore-errors

from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.costsharing.domain import parse_period, to_cents
import math
from services.costsharing.models import Allocation, AssetFacts, BookingFacts

UNATTRIBUTED = "unknown"
from shared.tariffs import DUTCH_ZONE
from shared.timewindows import available_from_payload, clip, hours
from shared.units import home_region

GROUPS = ("category", "region", "requester", "owner")
FULFILLED = ("approved", "in_use", "completed")
UNDECIDED = ("requested", "counter_offered")
UNKNOWN_REGION = "unknown"  # the region group of what has no known region


def home_region_of(asset: AssetFacts | None) -> str | None:
    """An asset's first (home) region, where its published capacity counts."""
    return asset.regions[0] if asset is not None and asset.regions else None


def used_in(fact: BookingFacts, asset: AssetFacts | None) -> str | None:
    """Where a booking's use counts: its region of use, else (facts kept before booking
    facts had one) its asset's first region."""
    return fact.region or home_region_of(asset)


def published_hours(asset: AssetFacts, lo: datetime, hi: datetime) -> float:
    return hours(available_from_payload(asset.availability, asset.blackouts, lo=lo, hi=hi))


def _empty() -> dict[str, Any]:
    return {
        "published_hours": 0.0,
        "booked_hours": 0.0,
        "joint_use_hours": Decimal(0),
        "avoided_cost": Decimal(0),
        "police_paid": Decimal(0),
        "procurement_savings": Decimal(0),
        "decision_hours": [],
        "acute_decision_minutes": [],
        "acute_escalated": 0,
        "requests": 0,
        "fulfilled": 0,
    }


class _Grouping:
    """The figures of one period, summed per group (category, region, requester or owner)."""

    def __init__(self, group_by: str, first: date, after: date) -> None:
        self.group_by = group_by
        self.first, self.after = first, after
        # Hours are counted between Dutch midnights, as the allocations' Dutch dates are.
        self.lo = datetime.combine(first, time(0), DUTCH_ZONE).astimezone(UTC)
        self.hi = datetime.combine(after, time(0), DUTCH_ZONE).astimezone(UTC)
        self.groups: dict[str, dict[str, Any]] = defaultdict(_empty)

    def group(
        self, region: str | None, owner: str, category: str, requester: str
    ) -> dict[str, Any]:
        key = {
            "category": category,
            "owner": owner,
            "requester": requester,
            "region": region or UNKNOWN_REGION,
        }[self.group_by]
        return self.groups[key]


def _add_published(grouping: _Grouping, assets: dict[Any, AssetFacts]) -> None:
    if grouping.group_by == "requester":  # published capacity has no requester
        return
    for asset in assets.values():
        if asset.category == "procurement_item":
            continue
        g = grouping.group(home_region_of(asset), asset.owner_org, asset.category, "")
        g["published_hours"] += published_hours(asset, grouping.lo, grouping.hi) * asset.capacity


def _add_bookings(session: Any, grouping: _Grouping, assets: dict[Any, AssetFacts]) -> None:
    lo, hi = grouping.lo, grouping.hi
    for fact in session.scalars(
        select(BookingFacts).where(BookingFacts.planned_start < hi, BookingFacts.planned_end > lo)
    ):
        region = used_in(fact, assets.get(fact.asset_id))
        g = grouping.group(region, fact.owner_org, fact.category, fact.requester_org)
        if fact.state in FULFILLED:
            g["booked_hours"] += (
                hours(clip([(fact.planned_start, fact.planned_end)], lo, hi)) * fact.quantity
            )
        if fact.state not in UNDECIDED:
            g["requests"] += 1
            g["fulfilled"] += fact.state in FULFILLED
        if fact.decided_at is not None:
            decision_s = (fact.decided_at - fact.requested_at).total_seconds()
            g["decision_hours"].append(decision_s / 3600)
            if fact.priority == 1:
                g["acute_decision_minutes"].append(decision_s / 60)
        g["acute_escalated"] += fact.escalated_at is not None


def _add_allocations(session: Any, grouping: _Grouping, assets: dict[Any, AssetFacts]) -> None:
    # Each allocation with its booking's facts in one query (an order has none):
    # session.get per allocation was a query each, as the facts read before are not kept.
    for allocation, fact in session.execute(
        select(Allocation, BookingFacts)
        .outerjoin(BookingFacts, BookingFacts.booking_id == Allocation.booking_id)
        .where(Allocation.used_on >= grouping.first, Allocation.used_on < grouping.after)
    ):
        if allocation.kind == "procurement":  # an order: where the ordering unit is
            region = home_region(allocation.requester_org)
        else:
            region = used_in(fact, assets.get(fact.asset_id)) if fact else None
        g = grouping.group(
            region, allocation.owner_org, allocation.category, allocation.requester_org
        )
        _add_money(g, allocation)


def _add_money(g: dict[str, Any], allocation: Allocation) -> None:
    police_pays = allocation.requester_org.startswith("politie-")
    paid = (allocation.requester_amount or Decimal(0)) if police_pays else Decimal(0)
    g["police_paid"] += paid
    basis = allocation.basis
    if allocation.kind == "usage":
        # usage_quantity is in the tariff's unit (days, day-parts, ...); the hours of use
        # are in the basis (allocations from before that distinction hold hours there).
        g["joint_use_hours"] += Decimal(basis.get("hours") or allocation.usage_quantity)
        market = (basis.get("tariff") or {}).get("market_reference_price")
        if market is not None:
            g["avoided_cost"] += Decimal(market) * allocation.usage_quantity - paid
    elif allocation.kind == "procurement":
        solo, joint = basis.get("solo_unit_price"), basis.get("unit_price")
        if solo is not None and joint is not None:
            g["procurement_savings"] += (Decimal(solo) - Decimal(joint)) * allocation.usage_quantity


def _row(group_by: str, key: str, g: dict[str, Any]) -> dict[str, Any]:
    decisions, acute = g["decision_hours"], g["acute_decision_minutes"]
    published, booked = g["published_hours"], g["booked_hours"]
    return {
        group_by: key,
        "published_hours": round(published, 2),
        "booked_hours": round(booked, 2),
        "utilisation": round(booked / published, 4) if published else None,
        "joint_use_hours": str(g["joint_use_hours"].quantize(Decimal("0.01"))),
        "avoided_cost": str(to_cents(g["avoided_cost"])),
        "police_paid": str(to_cents(g["police_paid"])),
        "procurement_savings": str(to_cents(g["procurement_savings"])),
        "avg_decision_hours": round(sum(decisions) / len(decisions), 2) if decisions else None,
        "acute_decided": len(acute),
        "avg_acute_decision_minutes": round(sum(acute) / len(acute), 1) if acute else None,
        "acute_escalated": g["acute_escalated"],
        "requests_decided": g["requests"],
        "fulfilled_share": round(g["fulfilled"] / g["requests"], 4) if g["requests"] else None,
    }


def reference_efficiency(session: Any, *, period: str, group_by: str) -> dict[str, Any]:
    """The efficiency figures of ``period``, one row per group, groups in order."""
    first, after = parse_period(period)
    grouping = _Grouping(group_by, first, after)
    assets = {a.asset_id: a for a in session.scalars(select(AssetFacts))}
    _add_published(grouping, assets)
    _add_bookings(session, grouping, assets)
    _add_allocations(session, grouping, assets)
    return {
        "period": period,
        "group_by": group_by,
        "currency": "EUR",
        "illustrative_prices": True,
        "rows": [_row(group_by, key, grouping.groups[key]) for key in sorted(grouping.groups)],
    }


def _request_figures(session: Any, period: str, region_of: dict[Any, str]) -> dict[str, Any]:
    """Requests, decisions and decision times per region for requests made in ``period``."""
    first, after = parse_period(period)
    lo = datetime.combine(first, time(0), DUTCH_ZONE).astimezone(UTC)
    hi = datetime.combine(after, time(0), DUTCH_ZONE).astimezone(UTC)
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"requests": 0, "decided": 0, "fulfilled": 0, "minutes": []}
    )
    # The five columns it needs, not whole facts: a year holds tens of thousands of requests.
    for state, requested_at, decided_at, region, asset_id in session.execute(
        select(
            BookingFacts.state,
            BookingFacts.requested_at,
            BookingFacts.decided_at,
            BookingFacts.region,
            BookingFacts.asset_id,
        ).where(BookingFacts.requested_at >= lo, BookingFacts.requested_at < hi)
    ):
        used_in = region or region_of.get(asset_id) or UNATTRIBUTED
        minutes = None
        if decided_at is not None:
            minutes = (decided_at - requested_at).total_seconds() / 60
        for key in (used_in, "national"):
            g = groups[key]
            g["requests"] += 1
            if state not in UNDECIDED:
                g["decided"] += 1
                g["fulfilled"] += state in FULFILLED
            if minutes is not None:
                g["minutes"].append(minutes)
    return groups


def reference_requests(session, period):
    """The old evaluation's request figures of ``period`` per region key."""
    region_of = {}
    for asset_id, regions in session.execute(select(AssetFacts.asset_id, AssetFacts.regions)):
        if regions:
            region_of[asset_id] = regions[0]
    return _request_figures(session, period, region_of)
