"""Tariff units: how many of a tariff's units a use counts as; a contract's tier price.

A catalog tariff is a rate per unit (flight_hour, hour, day, day_part, unit), and it travels in
booking's and catalog's events. Booking estimates with it and cost-sharing bills with it, so
both must count a use the same way: that rule lives here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.timewindows import DEFAULT_TZ

# The zone of Dutch dates and wall-clock times: tariff periods, agreements' validity,
# statement periods and series are counted in it (shared.timewindows names it for rules).
DUTCH_ZONE = ZoneInfo(DEFAULT_TZ)
HOURS_PER_DAY = 24
HOURS_PER_DAY_PART = 5  # a morning, afternoon or evening block on a terrain


def billable_units(unit: str, hours: Decimal, quantity: int) -> Decimal:
    """The tariff units a use of ``hours`` on each of ``quantity`` units counts as.

    Hourly units count the hours; a day (24 elapsed hours, so a 25-hour Dutch calendar day at
    the end of summer time counts two) or a day-part counts every one begun (at least one); any
    other unit (a call-out, an item) counts once per use. Times ``quantity``. Hours are first
    rounded to the hundredth, half up, as a completed use's hours are, so an estimate and the
    bill for the same window count the same.
    """
    hours = hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if unit in ("flight_hour", "hour"):
        units = hours
    elif unit == "day":
        units = Decimal(_begun(hours, HOURS_PER_DAY))
    elif unit == "day_part":
        units = Decimal(_begun(hours, HOURS_PER_DAY_PART))
    else:
        units = Decimal(1)
    return units * quantity


def _begun(hours: Decimal, block_hours: int) -> int:
    # Hours are exact to the hundredth (rounded above): count in hundredths.
    return max(1, -(-int(hours * 100) // (block_hours * 100)))


def tariff_day(moment: datetime) -> date:
    """The date a moment falls on in the Netherlands: the day a tariff period, an agreement's
    validity and a statement period are counted in (00:30 on 1 January in Amsterdam is 1
    January, though it is still 31 December in UTC)."""
    return moment.astimezone(DUTCH_ZONE).date()


def tariff_on(tariffs: Iterable[Mapping[str, Any]], day: date) -> Mapping[str, Any] | None:
    """The tariff (as events carry it: ISO dates, ``valid_to`` exclusive or None) valid on
    ``day``; periods of one asset never overlap, so there is at most one."""
    text = day.isoformat()
    for tariff in tariffs:
        if tariff["valid_from"] <= text and (
            tariff["valid_to"] is None or text < tariff["valid_to"]
        ):
            return tariff
    return None


def tier_price(tiers: Iterable[Mapping[str, Any]], quantity: int) -> Decimal:
    """The unit price an order of ``quantity`` pays under a contract's volume tiers (as
    ``catalog.contract.published`` carries them: ``min_quantity``, ``unit_price`` as text):
    the price of the highest tier whose threshold it reaches (the first tier starts at 1)."""
    ordered = sorted(tiers, key=lambda tier: int(tier["min_quantity"]))
    price = Decimal(ordered[0]["unit_price"])
    for tier in ordered:
        if quantity >= int(tier["min_quantity"]):
            price = Decimal(tier["unit_price"])
    return price


def priced_units(tariff: Mapping[str, Any] | None, hours: Decimal, quantity: int) -> Decimal:
    """The units a use is priced in: the tariff's (``billable_units``), or hours x quantity
    when no tariff travelled with it (finance then prices it by hand)."""
    if tariff is None:
        return hours * quantity
    return billable_units(tariff["unit"], hours, quantity)
