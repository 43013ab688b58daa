"""Catalog request/response schemas (marshmallow 4). A request schema's ``@post_load`` builds
the use case's command (``commands.py``); a list answers ``{items, next_cursor}``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.catalog import commands
from services.catalog.domain import AssetStatus, Category, Tariff, TariffUnit
from shared.paging import cursor_field, limit_field, page_schema

Money = fields.Decimal(places=2, as_string=True, required=True, validate=validate.Range(min=0))
# What the columns hold: NUMERIC(12, 2) for money, INTEGER for capacity (larger is a 500 otherwise).
STORABLE_MONEY = validate.Range(max=Decimal("9999999999.99"))
STORABLE_INT = validate.Range(max=2**31 - 1)

# Dates and instants are taken from 1900 to 9998 (as written, in the sender's offset). Python's
# datetime stops at year 1 and 9999: converting an instant near either end to UTC or to
# Amsterdam, or a day's arithmetic around it (a rule expanded, a default range), overflowed
# into a 500. No tariff, window, blackout or contract of this domain lies outside these years.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def _in_calendar(value: date) -> None:
    """A date or datetime (a date) whose year lies in [FIRST_YEAR, LAST_YEAR]."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"Must lie in the years {FIRST_YEAR} to {LAST_YEAR}.")


def _day(**kwargs: Any) -> fields.Date:
    """A calendar date within the supported years."""
    return fields.Date(validate=_in_calendar, **kwargs)


def _instant(**kwargs: Any) -> fields.AwareDateTime:
    """A date-time with a UTC offset, within the supported years."""
    return fields.AwareDateTime(validate=_in_calendar, **kwargs)


class Location(Schema):
    """WGS84 coordinates in decimal degrees."""

    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))


class TariffIn(Schema):
    # Money fields have no ``places``: marshmallow would silently round 12.345 to 12.34 on load;
    # exact decimals reach Tariff.check, which refuses more than two.
    unit = fields.Enum(TariffUnit, by_value=True, required=True)
    full_cost_rate = fields.Decimal(as_string=True, required=True, validate=STORABLE_MONEY)
    marginal_cost_rate = fields.Decimal(as_string=True, required=True, validate=STORABLE_MONEY)
    mobilisation_fee = fields.Decimal(
        as_string=True, load_default=Decimal("0.00"), validate=STORABLE_MONEY
    )
    market_reference_price = fields.Decimal(as_string=True, required=True, validate=STORABLE_MONEY)
    valid_from = _day(required=True)
    valid_to = _day(load_default=None, allow_none=True)

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> Tariff:
        return Tariff(**data)


class TariffRead(Schema):
    id = fields.UUID()
    unit = fields.String()
    full_cost_rate = fields.Decimal(places=2, as_string=True)
    marginal_cost_rate = fields.Decimal(places=2, as_string=True)
    mobilisation_fee = fields.Decimal(places=2, as_string=True)
    market_reference_price = fields.Decimal(places=2, as_string=True)
    currency = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)


class AssetCreate(Schema):
    registration = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    category = fields.Enum(Category, by_value=True, required=True)
    home_base = fields.String(required=True, validate=validate.Length(min=1, max=120))
    home_location = fields.Nested(
        Location,
        load_default=None,
        allow_none=True,
        metadata={"description": "the home base's location: ranks alternatives by travel time"},
    )
    regions = fields.List(
        fields.String(validate=validate.Length(equal=4)),
        required=True,
        validate=validate.Length(min=1, max=25),
    )
    capacity = fields.Integer(load_default=1, strict=True, validate=STORABLE_INT)
    readiness_notice = fields.String(load_default="PT4H", validate=validate.Length(max=20))
    attributes = fields.Dict(keys=fields.String(), load_default=dict)
    tariff = fields.Nested(TariffIn, required=True)

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.RegisterAsset:
        return commands.RegisterAsset(**data)


class AssetRead(Schema):
    id = fields.UUID()
    owner_org = fields.String()
    registration = fields.String()
    name = fields.String()
    category = fields.String()
    booking_mode = fields.String()
    home_base = fields.String()
    home_location = fields.Nested(Location, allow_none=True)
    regions = fields.List(fields.String())
    capacity = fields.Integer()
    readiness_notice = fields.String()
    attributes = fields.Dict()
    status = fields.String()
    version = fields.Integer()
    tariffs = fields.List(fields.Nested(TariffRead))


class AssetSummary(Schema):
    """One row of the asset list (no tariffs: lists must stay cheap)."""

    id = fields.UUID()
    owner_org = fields.String()
    registration = fields.String()
    name = fields.String()
    category = fields.String()
    booking_mode = fields.String()
    home_base = fields.String()
    regions = fields.List(fields.String())
    capacity = fields.Integer()
    readiness_notice = fields.String()
    status = fields.String()
    version = fields.Integer()


class AssetPage(Schema):
    items = fields.List(fields.Nested(AssetSummary))
    next_cursor = fields.String(allow_none=True)


class AssetListQuery(Schema):
    category = fields.Enum(Category, by_value=True)
    region = fields.String(validate=validate.Regexp(r"^VR\d{2}$"))
    owner = fields.String(validate=validate.Length(max=80))
    status = fields.Enum(AssetStatus, by_value=True)
    q = fields.String(validate=validate.Length(min=1, max=100))
    sort = fields.String(
        load_default="name",
        validate=validate.OneOf(["name", "-name", "registration", "created_at", "-created_at"]),
    )
    cursor = fields.String(validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.AssetQuery:
        return commands.AssetQuery(**data)


class AssetUpdate(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    home_base = fields.String(validate=validate.Length(min=1, max=120))
    home_location = fields.Nested(Location, allow_none=True)
    regions = fields.List(
        fields.String(validate=validate.Length(equal=4)), validate=validate.Length(min=1, max=25)
    )
    capacity = fields.Integer(strict=True)
    readiness_notice = fields.String(validate=validate.Length(max=20))
    attributes = fields.Dict(keys=fields.String())
    status = fields.String(validate=validate.OneOf(["active", "maintenance", "retired"]))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.ChangeAsset:
        return commands.ChangeAsset(**data, sent=frozenset(data))


class RetireIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.RetireAsset:
        return commands.RetireAsset(**data)


# The IANA names this machine's tz database knows (not directories such as "Europe", nor
# paths): a name ZoneInfo cannot load would fail every later expansion of the rule.
_TIMEZONES = frozenset(available_timezones())


def _valid_timezone(name: str) -> None:
    # marshmallow heeds only a raised ValidationError, never a validator's return value.
    if name not in _TIMEZONES:
        raise ValidationError(
            f"Unknown time zone {name[:60]!r}; use an IANA name such as 'Europe/Amsterdam'."
        )


class WindowIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["one_off", "recurring"]))
    start_at = _instant(load_default=None)
    end_at = _instant(load_default=None)
    weekdays = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=7)),
        load_default=None,
        validate=validate.Length(min=1, max=7),
        metadata={"description": "ISO weekdays, 1 = Monday"},
    )
    start_time = fields.Time(load_default=None, metadata={"description": "local time HH:MM"})
    end_time = fields.Time(load_default=None)
    valid_from = _day(load_default=None)
    valid_to = _day(load_default=None, metadata={"description": "inclusive"})
    timezone = fields.String(load_default="Europe/Amsterdam", validate=_valid_timezone)
    note = fields.String(load_default=None, validate=validate.Length(max=500))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.PublishWindow:
        return commands.PublishWindow(**data)


class WindowRead(Schema):
    id = fields.UUID()
    kind = fields.String()
    start_at = fields.AwareDateTime(allow_none=True)
    end_at = fields.AwareDateTime(allow_none=True)
    weekdays = fields.List(fields.Integer(), allow_none=True)
    start_time = fields.String(allow_none=True)
    end_time = fields.String(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    timezone = fields.String()
    note = fields.String(allow_none=True)


class AvailabilityQuery(Schema):
    start = _instant(data_key="from")
    end = _instant(data_key="to")
    cursor = cursor_field()
    limit = limit_field()

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.AvailabilityQuery:
        return commands.AvailabilityQuery(**data)


class IntervalRead(Schema):
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()


class BlackoutIn(Schema):
    start_at = _instant(required=True)
    end_at = _instant(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.AddBlackout:
        return commands.AddBlackout(**data)


class BlackoutRead(Schema):
    id = fields.UUID()
    start_at = fields.AwareDateTime()
    end_at = fields.AwareDateTime()
    reason = fields.String()


class TierIn(Schema):
    min_quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    # No ``places``: marshmallow would round 95.555 to 95.56 on load; check_price_tiers refuses it.
    unit_price = fields.Decimal(
        required=True, as_string=True, validate=validate.Range(min=Decimal("0.00"))
    )

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.PriceTier:
        return commands.PriceTier(**data)


class ContractCreate(Schema):
    reference = fields.String(required=True, validate=validate.Length(min=3, max=60))
    supplier = fields.String(required=True, validate=validate.Length(min=2, max=200))
    description = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    valid_from = _day(required=True)
    valid_to = _day(required=True)
    total_volume = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    item_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=100))
    tiers = fields.List(
        fields.Nested(TierIn), required=True, validate=validate.Length(min=1, max=20)
    )

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.PublishContract:
        return commands.PublishContract(**data)


class ContractRead(Schema):
    id = fields.UUID()
    owner_org = fields.String()
    reference = fields.String()
    supplier = fields.String()
    description = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date()
    total_volume = fields.Integer()
    item_ids = fields.List(fields.UUID())
    tiers = fields.List(fields.Dict())


class PageQuery(Schema):
    """A page of a list in its own order."""

    cursor = cursor_field()
    limit = limit_field()

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.PageQuery:
        return commands.PageQuery(**data)


# Every list answers {items, next_cursor}; short lists (an asset's tariffs, the intervals of one
# range) are one page: next_cursor is null.
TariffPage = page_schema(TariffRead, "TariffPage")
WindowPage = page_schema(WindowRead, "WindowPage")
IntervalPage = page_schema(IntervalRead, "IntervalPage")
BlackoutPage = page_schema(BlackoutRead, "BlackoutPage")
ContractPage = page_schema(ContractRead, "ContractPage")
