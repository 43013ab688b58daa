"""Catalog rules without a database: booking modes, new assets and tariffs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from services.catalog.domain import (
    BOOKING_MODE,
    CATEGORY_LABELS,
    BookingMode,
    Category,
    Tariff,
    TariffUnit,
    check_new_asset,
)
from shared.errors import Invalid

SLOT = [c for c in Category if BOOKING_MODE[c] is BookingMode.SLOT]
NOT_SLOT = [c for c in Category if BOOKING_MODE[c] is not BookingMode.SLOT]


def test_every_category_has_a_booking_mode_and_a_label() -> None:
    assert set(BOOKING_MODE) == set(Category)
    assert set(CATEGORY_LABELS) == set(Category)


def test_aircraft_are_slots_teams_and_terrain_capacity_and_items_quantity() -> None:
    assert set(SLOT) == {Category.HELICOPTER, Category.DRONE}
    assert BOOKING_MODE[Category.DIVE_TEAM] is BookingMode.CAPACITY
    assert BOOKING_MODE[Category.SEARCH_TEAM] is BookingMode.CAPACITY
    assert BOOKING_MODE[Category.TERRAIN] is BookingMode.CAPACITY
    assert BOOKING_MODE[Category.PROCUREMENT_ITEM] is BookingMode.QUANTITY


# -- check_new_asset ------------------------------------------------------------------------------
@pytest.mark.parametrize("category", list(Category))
def test_capacity_one_with_a_valid_notice_is_fine_for_every_category(category: Category) -> None:
    check_new_asset(category=category, capacity=1, readiness_notice="PT4H")


@pytest.mark.parametrize("category", list(Category))
@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_below_one_is_invalid(category: Category, capacity: int) -> None:
    with pytest.raises(Invalid) as raised:
        check_new_asset(category=category, capacity=capacity, readiness_notice="PT4H")
    assert raised.value.errors == {"capacity": ["Must be >= 1."]}


@pytest.mark.parametrize("category", SLOT)
def test_a_slot_asset_has_capacity_one(category: Category) -> None:
    with pytest.raises(Invalid) as raised:
        check_new_asset(category=category, capacity=2, readiness_notice="PT4H")
    assert raised.value.errors == {"capacity": ["Must be 1 for slot assets."]}


@pytest.mark.parametrize("category", NOT_SLOT)
def test_other_assets_may_have_more_capacity(category: Category) -> None:
    check_new_asset(category=category, capacity=12, readiness_notice="P1D")


@pytest.mark.parametrize("notice", ["PT4H", "PT30M", "P1D", "P2DT6H", "PT1H30M", "PT0M"])
def test_iso_durations_are_valid_notices(notice: str) -> None:
    check_new_asset(category=Category.HELICOPTER, capacity=1, readiness_notice=notice)


@pytest.mark.parametrize("notice", ["", "P", "PT", "4H", "PT4X", "P1W", "P1DT", "pt4h", "PT4H "])
def test_other_notices_are_invalid(notice: str) -> None:
    with pytest.raises(Invalid) as raised:
        check_new_asset(category=Category.HELICOPTER, capacity=1, readiness_notice=notice)
    assert raised.value.errors is not None and "readiness_notice" in raised.value.errors


# -- Tariff.check ---------------------------------------------------------------------------------
TARIFF = Tariff(
    unit=TariffUnit.FLIGHT_HOUR,
    full_cost_rate=Decimal("9800.00"),
    marginal_cost_rate=Decimal("3900.00"),
    mobilisation_fee=Decimal("1500.00"),
    market_reference_price=Decimal("11000.00"),
    valid_from=date(2026, 1, 1),
    valid_to=None,
)
MONEY = ["full_cost_rate", "marginal_cost_rate", "mobilisation_fee", "market_reference_price"]


def test_a_sound_tariff_passes() -> None:
    TARIFF.check()
    replace(TARIFF, valid_to=date(2026, 1, 2)).check()


def test_a_free_tariff_passes() -> None:
    zero = Decimal("0.00")
    replace(
        TARIFF,
        full_cost_rate=zero,
        marginal_cost_rate=zero,
        mobilisation_fee=zero,
        market_reference_price=zero,
    ).check()


def test_marginal_equal_to_full_cost_passes() -> None:
    replace(TARIFF, marginal_cost_rate=TARIFF.full_cost_rate).check()


@pytest.mark.parametrize("field", MONEY)
def test_negative_money_is_invalid(field: str) -> None:
    with pytest.raises(Invalid) as raised:
        replace(TARIFF, **{field: Decimal("-0.01")}).check()
    assert raised.value.errors == {field: ["Must be >= 0."]}


@pytest.mark.parametrize("field", MONEY)
def test_money_finer_than_a_cent_is_invalid(field: str) -> None:
    with pytest.raises(Invalid) as raised:
        replace(TARIFF, **{field: Decimal("1.005")}).check()
    assert raised.value.errors == {field: ["At most 2 decimals."]}


def test_marginal_above_full_cost_is_invalid() -> None:
    with pytest.raises(Invalid) as raised:
        replace(TARIFF, marginal_cost_rate=Decimal("9800.01")).check()
    assert raised.value.errors is not None and "marginal_cost_rate" in raised.value.errors


@pytest.mark.parametrize("valid_to", [date(2026, 1, 1), date(2025, 12, 31)])
def test_a_period_that_does_not_run_forward_is_invalid(valid_to: date) -> None:
    with pytest.raises(Invalid) as raised:
        replace(TARIFF, valid_to=valid_to).check()
    assert raised.value.errors == {"valid_to": ["Must be after valid_from."]}
