"""How many tariff units a use counts as (shared by booking's estimate and cost-sharing's bill)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.tariffs import billable_units, tier_price


@pytest.mark.parametrize(
    ("unit", "hours", "quantity", "units"),
    [
        ("flight_hour", "2.50", 1, "2.50"),
        ("hour", "1.75", 2, "3.50"),  # two teams for 1.75 h
        ("day", "0.25", 1, "1"),  # a day begun is a day
        ("day", "24.00", 1, "1"),
        ("day", "24.01", 1, "2"),
        ("day", "24.005556", 1, "2"),  # 24 h 20 s rounds to 24.01 h, as the bill does
        ("day", "24.004", 1, "1"),  # ...and 24 h 14 s to 24.00 h
        ("hour", "2.505", 1, "2.51"),
        ("day", "30.00", 3, "6"),
        ("day_part", "5.00", 1, "1"),
        ("day_part", "5.01", 1, "2"),
        ("day_part", "8.00", 1, "2"),
        ("unit", "40.00", 1, "1"),  # a call-out, whatever its length
        ("unit", "1.00", 4, "4"),
    ],
)
def test_a_use_counts_in_the_tariffs_unit(unit: str, hours: str, quantity: int, units: str) -> None:
    assert billable_units(unit, Decimal(hours), quantity) == Decimal(units)


# As catalog.contract.published carries them (unit prices as text), listed out of order.
TIERS = [
    {"min_quantity": 100, "unit_price": "80.00"},
    {"min_quantity": 1, "unit_price": "100.00"},
    {"min_quantity": 50, "unit_price": "90.00"},
]


@pytest.mark.parametrize(
    ("quantity", "price"),
    [(1, "100.00"), (49, "100.00"), (50, "90.00"), (99, "90.00"), (100, "80.00"), (5000, "80.00")],
)
def test_a_call_off_pays_the_highest_tier_it_reaches(quantity: int, price: str) -> None:
    assert tier_price(TIERS, quantity) == Decimal(price)
