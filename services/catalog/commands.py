"""What each catalog use case takes: typed commands and queries, built by the schemas'
``@post_load`` (``schemas.py``) from a request, or directly by the demo loader and tests.

Imperative names for what changes something (``RegisterAsset``), nouns for what only reads
(``AssetQuery``). Standard library and the catalog's own domain types only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from services.catalog.domain import AssetStatus, Category, Tariff


@dataclass(frozen=True)
class RegisterAsset:
    registration: str
    name: str
    category: Category
    home_base: str
    regions: list[str]
    tariff: Tariff
    home_location: dict[str, float] | None = None
    capacity: int = 1
    readiness_notice: str = "PT4H"
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeAsset:
    """The descriptive fields an owner sends in a PATCH: only those named in ``sent`` change
    (so a ``home_location`` sent as null clears it, and one not sent stays)."""

    name: str | None = None
    home_base: str | None = None
    home_location: dict[str, float] | None = None
    regions: list[str] | None = None
    capacity: int | None = None
    readiness_notice: str | None = None
    attributes: dict[str, Any] | None = None
    status: str | None = None
    sent: frozenset[str] = frozenset()

    def changes(self) -> dict[str, Any]:
        """The fields sent, with their new values."""
        return {name: getattr(self, name) for name in sorted(self.sent)}


@dataclass(frozen=True)
class RetireAsset:
    reason: str


@dataclass(frozen=True)
class PublishWindow:
    """A one-off window (``start_at``/``end_at``) or a weekly rule in local time."""

    kind: str  # one_off | recurring
    start_at: datetime | None = None
    end_at: datetime | None = None
    weekdays: list[int] | None = None
    start_time: time | None = None
    end_time: time | None = None
    valid_from: date | None = None
    valid_to: date | None = None  # inclusive
    timezone: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class AddBlackout:
    start_at: datetime
    end_at: datetime
    reason: str


@dataclass(frozen=True)
class PriceTier:
    min_quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class PublishContract:
    reference: str
    supplier: str
    description: str
    valid_from: date
    valid_to: date
    total_volume: int
    item_ids: list[uuid.UUID]
    tiers: list[PriceTier]


@dataclass(frozen=True)
class AddOrganisation:
    id: str
    name: str
    kind: str  # politie | defensie | joint


@dataclass(frozen=True)
class AddRegion:
    code: str
    name: str
    seat: str | None = None
    seat_location: dict[str, float] | None = None


@dataclass(frozen=True)
class Rename:
    """A new name for an organisation or a region (their ids and codes stay)."""

    name: str


@dataclass(frozen=True)
class AssetQuery:
    """Filters, sort and page of the asset list."""

    category: Category | None = None
    region: str | None = None
    owner: str | None = None
    status: AssetStatus | None = None
    q: str | None = None
    sort: str = "name"
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class PageQuery:
    """A page of a list in its own order: the cursor the previous page gave out, the size."""

    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class ReferenceChangeQuery:
    subject: str | None = None
    subject_id: str | None = None
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class AvailabilityQuery:
    """Without a range: the windows as published (paged). With ``start`` or ``end``: the
    concrete intervals in it."""

    start: datetime | None = None
    end: datetime | None = None
    cursor: str | None = None
    limit: int = 50

    @property
    def concrete(self) -> bool:
        return self.start is not None or self.end is not None
