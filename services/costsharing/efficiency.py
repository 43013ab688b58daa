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
known: the asset's first region); a call-off under the ordering unit's home region; published
capacity under its asset's first (home) region. What has none of these is under "unknown".
A period runs from Dutch midnight to Dutch midnight, as statements count it (an allocation
falls on the Dutch date of its use).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.costsharing.domain import parse_period, to_cents
from services.costsharing.models import Allocation, AssetFacts, BookingFacts
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


def efficiency(session: Any, *, period: str, group_by: str) -> dict[str, Any]:
    first, after = parse_period(period)
    # Hours are counted between Dutch midnights, as the allocations' Dutch dates are.
    lo = datetime.combine(first, time(0), DUTCH_ZONE).astimezone(UTC)
    hi = datetime.combine(after, time(0), DUTCH_ZONE).astimezone(UTC)
    assets = {a.asset_id: a for a in session.scalars(select(AssetFacts))}
    groups: dict[str, dict[str, Any]] = defaultdict(_empty)

    def group_key(region: str | None, owner: str, category: str, requester: str) -> str:
        return {
            "category": category,
            "owner": owner,
            "requester": requester,
            "region": region or UNKNOWN_REGION,
        }[group_by]

    if group_by != "requester":  # published capacity has no requester
        for asset in assets.values():
            if asset.category == "procurement_item":
                continue
            key = group_key(home_region_of(asset), asset.owner_org, asset.category, "")
            groups[key]["published_hours"] += published_hours(asset, lo, hi) * asset.capacity
    for fact in session.scalars(
        select(BookingFacts).where(BookingFacts.planned_start < hi, BookingFacts.planned_end > lo)
    ):
        region = used_in(fact, assets.get(fact.asset_id))
        g = groups[group_key(region, fact.owner_org, fact.category, fact.requester_org)]
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
    # Each allocation with its booking's facts in one query (a call-off's order has none):
    # session.get per allocation was a query each, as the facts read before are not kept.
    for allocation, fact in session.execute(
        select(Allocation, BookingFacts)
        .outerjoin(BookingFacts, BookingFacts.booking_id == Allocation.booking_id)
        .where(Allocation.used_on >= first, Allocation.used_on < after)
    ):
        if allocation.kind == "procurement":  # a call-off: where the ordering unit is
            region = home_region(allocation.requester_org)
        else:
            region = used_in(fact, assets.get(fact.asset_id)) if fact else None
        g = groups[
            group_key(region, allocation.owner_org, allocation.category, allocation.requester_org)
        ]
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
                g["procurement_savings"] += (
                    Decimal(solo) - Decimal(joint)
                ) * allocation.usage_quantity
    rows = []
    for key in sorted(groups):
        g = groups[key]
        decisions, acute = g["decision_hours"], g["acute_decision_minutes"]
        rows.append(
            {
                group_by: key,
                "published_hours": round(g["published_hours"], 2),
                "booked_hours": round(g["booked_hours"], 2),
                "utilisation": (
                    round(g["booked_hours"] / g["published_hours"], 4)
                    if g["published_hours"]
                    else None
                ),
                "joint_use_hours": str(g["joint_use_hours"].quantize(Decimal("0.01"))),
                "avoided_cost": str(to_cents(g["avoided_cost"])),
                "police_paid": str(to_cents(g["police_paid"])),
                "procurement_savings": str(to_cents(g["procurement_savings"])),
                "avg_decision_hours": round(sum(decisions) / len(decisions), 2)
                if decisions
                else None,
                "acute_decided": len(acute),
                "avg_acute_decision_minutes": round(sum(acute) / len(acute), 1) if acute else None,
                "acute_escalated": g["acute_escalated"],
                "requests_decided": g["requests"],
                "fulfilled_share": round(g["fulfilled"] / g["requests"], 4)
                if g["requests"]
                else None,
            }
        )
    return {
        "period": period,
        "group_by": group_by,
        "currency": "EUR",
        "illustrative_prices": True,
        "rows": rows,
    }
