"""Catalog rules: categories and booking modes, asset and tariff validity. Standard library and
the kit's pure readings of the contracts (durations) only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.durations import is_duration
from shared.errors import Invalid


class BookingMode(StrEnum):
    SLOT = "slot"  # one booking at a time
    CAPACITY = "capacity"  # N parallel units
    QUANTITY = "quantity"  # ordered against a contract


class Category(StrEnum):
    HELICOPTER = "helicopter"
    DRONE = "drone"
    DIVE_TEAM = "dive_team"
    SEARCH_TEAM = "search_team"
    TERRAIN = "terrain"
    PROCUREMENT_ITEM = "procurement_item"


BOOKING_MODE: dict[Category, BookingMode] = {
    Category.HELICOPTER: BookingMode.SLOT,
    Category.DRONE: BookingMode.SLOT,
    Category.DIVE_TEAM: BookingMode.CAPACITY,
    Category.SEARCH_TEAM: BookingMode.CAPACITY,
    Category.TERRAIN: BookingMode.CAPACITY,
    Category.PROCUREMENT_ITEM: BookingMode.QUANTITY,
}

CATEGORY_LABELS: dict[Category, str] = {
    Category.HELICOPTER: "Helicopter",
    Category.DRONE: "Drone (UAS)",
    Category.DIVE_TEAM: "Dive team",
    Category.SEARCH_TEAM: "Search / specialist team",
    Category.TERRAIN: "Terrain / facility",
    Category.PROCUREMENT_ITEM: "Procurement item",
}


class TariffUnit(StrEnum):
    FLIGHT_HOUR = "flight_hour"
    HOUR = "hour"
    DAY = "day"
    DAY_PART = "day_part"
    UNIT = "unit"


class AssetStatus(StrEnum):
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


@dataclass(frozen=True)
class Tariff:
    unit: TariffUnit
    full_cost_rate: Decimal
    marginal_cost_rate: Decimal
    mobilisation_fee: Decimal
    market_reference_price: Decimal
    valid_from: date
    valid_to: date | None

    def check(self) -> None:
        """Money is non-negative, to the cent; the period runs forward."""
        for name in (
            "full_cost_rate",
            "marginal_cost_rate",
            "mobilisation_fee",
            "market_reference_price",
        ):
            amount: Decimal = getattr(self, name)
            if amount < 0:
                raise Invalid("Amounts cannot be negative.", errors={name: ["Must be >= 0."]})
            if amount != amount.quantize(Decimal("0.01")):
                raise Invalid("Amounts are in whole cents.", errors={name: ["At most 2 decimals."]})
        if self.marginal_cost_rate > self.full_cost_rate:
            raise Invalid(
                "The marginal-cost rate cannot exceed the full-cost rate.",
                errors={"marginal_cost_rate": ["Must be <= full_cost_rate."]},
            )
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise Invalid(
                "A tariff period must end after it starts.",
                errors={"valid_to": ["Must be after valid_from."]},
            )


def check_new_asset(*, category: Category, capacity: int, readiness_notice: str) -> None:
    """Rules that hold for every asset, whatever the caller."""
    mode = BOOKING_MODE[category]
    if capacity < 1:
        raise Invalid("Capacity must be at least 1.", errors={"capacity": ["Must be >= 1."]})
    if mode is BookingMode.SLOT and capacity != 1:
        raise Invalid(
            f"A {category.value} is booked one slot at a time; its capacity is 1.",
            errors={"capacity": ["Must be 1 for slot assets."]},
        )
    if not is_duration(readiness_notice):
        raise Invalid(
            "Readiness notice is an ISO 8601 duration such as PT4H or P1D.",
            errors={"readiness_notice": ["Not an ISO 8601 duration (e.g. PT4H)."]},
        )


def check_period(start: Any, end: Any, *, field: str = "end") -> None:
    """An interval must run forward (dates or instants)."""
    if end is not None and start is not None and end <= start:
        raise Invalid("The end must be after the start.", errors={field: ["Must be after start."]})


def check_price_tiers(tiers: list[tuple[int, Decimal]]) -> None:
    """Volume tiers: the first starts at 1, thresholds rise, unit prices never rise."""
    if not tiers:
        raise Invalid("A contract needs at least one price tier.", errors={"tiers": ["Empty."]})
    if tiers[0][0] != 1:
        raise Invalid("The first tier starts at quantity 1.", errors={"tiers": ["Start at 1."]})
    for (q1, p1), (q2, p2) in zip(tiers, tiers[1:], strict=False):
        if q2 <= q1:
            raise Invalid("Tier thresholds must rise.", errors={"tiers": ["Thresholds rise."]})
        if p2 > p1:
            raise Invalid(
                "A higher volume tier cannot cost more per unit.",
                errors={"tiers": ["Unit prices must not rise with volume."]},
            )
    for _, price in tiers:
        if price < 0 or price != price.quantize(Decimal("0.01")):
            raise Invalid("Tier prices are non-negative cents.", errors={"tiers": ["Bad price."]})


def check_patch(
    *,
    category: Category,
    new_status: str,
    capacity: int,
    readiness_notice: str,
) -> None:
    """What an owner may change on an active or maintenance asset (given the values after the
    change; a retired one takes no change at all: service.writable_asset refuses it first)."""
    if new_status == AssetStatus.RETIRED.value:
        raise Invalid(
            "Retire an asset with POST /assets/{id}/retire.",
            errors={"status": ["Use the retire action."]},
        )
    check_new_asset(category=category, capacity=capacity, readiness_notice=readiness_notice)


def check_organisation_id(org_id: str, kind: str) -> None:
    """An organisation's id says which side it is on: the other services decide visibility
    by it (police finance reads what ``politie-*`` pays, Defence finance what ``defensie-*``
    is credited or bears), so a police unit is ``politie-…``, a Defence one ``defensie-…`` and
    a joint body ``joint`` or ``joint-…``."""
    prefix = f"{kind}-"
    if not (org_id.startswith(prefix) or org_id == "joint" == kind):
        raise Invalid(
            f"A {kind} organisation's id starts with {prefix!r}.",
            errors={"id": [f"Must start with {prefix!r} for kind {kind}."]},
        )
