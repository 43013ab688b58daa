"""Tariff units: how many of a tariff's units a use counts as.

A catalog tariff is a rate per unit (flight_hour, hour, day, day_part, unit), and it travels in
booking's and catalog's events. Booking estimates with it and cost-sharing bills with it, so
both must count a use the same way: that rule lives here, once.
"""

from __future__ import annotations

from decimal import Decimal

HOURS_PER_DAY = 24
HOURS_PER_DAY_PART = 5  # a morning, afternoon or evening block on a terrain


def billable_units(unit: str, hours: Decimal, quantity: int) -> Decimal:
    """The tariff units a use of ``hours`` on each of ``quantity`` units counts as.

    Hourly units count the hours; a day or day-part counts every one begun (at least one); any
    other unit (a call-out, an item) counts once per use. Times ``quantity``.
    """
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
    # Hours are exact to the hundredth (usage_hours rounds them so): count in hundredths.
    return max(1, -(-int(hours * 100) // (block_hours * 100)))
