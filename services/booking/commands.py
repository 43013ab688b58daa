"""What each booking use case takes: typed commands, built by the schemas (``@post_load``), so a
use case says what it needs instead of reading keys of a dict. Imperative names: the act asked
for, not what happened."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.booking.domain import LegalBasis, PurposeClass, State


@dataclass(frozen=True, kw_only=True)
class RequestBooking:
    """A police unit asks for an asset for a window."""

    asset_id: uuid.UUID
    start: datetime
    end: datetime
    priority: int
    legal_basis: LegalBasis
    purpose: str
    contact: str
    quantity: int = 1
    purpose_class: PurposeClass = PurposeClass.OTHER
    region: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestSeries(RequestBooking):
    """The same request, recurring: every ``interval`` days, weeks or months, ``count`` times
    or until ``until``."""

    frequency: str
    interval: int = 1
    count: int | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Act:
    """An action on a booking that takes nothing but a reason (required for some: the domain's
    REASON_REQUIRED): approve, reject, cancel, start, accept a counter-offer, confirm or
    release a hold."""

    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class CounterOffer:
    """The owner offers another window and/or asset (what is not given stays as requested)."""

    reason: str
    asset_id: uuid.UUID | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Complete:
    """The owner registers the use as it happened."""

    actual_start: datetime
    actual_end: datetime
    usage_quantity: Decimal | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Preempt:
    """The owner displaces this approved booking for an acute request of the same asset."""

    by_booking_id: uuid.UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class PlaceOrder:
    """A police unit orders items against a framework contract."""

    contract_id: uuid.UUID
    item_id: uuid.UUID
    quantity: int
    delivery_date: date
    purpose: str
    legal_basis: LegalBasis = LegalBasis.JOINT_PROCUREMENT


@dataclass(frozen=True)
class SetDecisionTime:
    decision_minutes: int


@dataclass(frozen=True, kw_only=True)
class PageRequest:
    """Which page of a list: after ``cursor`` (None: the first), at most ``limit`` items."""

    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class SearchAvailability(PageRequest):
    """Which assets are free for the whole window (optionally of a category, for a region,
    with room for ``quantity``)."""

    start: datetime
    end: datetime
    quantity: int = 1
    category: str | None = None
    region: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListBookings(PageRequest):
    """Which bookings to list (each filter optional)."""

    state: State | None = None
    asset_id: uuid.UUID | None = None
    organisation: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ReadBoard:
    """The national capacity board at the moment ``at`` (None: now)."""

    at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ListDroneDeployments(PageRequest):
    """Which page of the public drone register: uses started from ``day_from`` to ``day_to``
    (inclusive Dutch dates, each optional), optionally in one safety region."""

    day_from: date | None = None
    day_to: date | None = None
    region: str | None = None


@dataclass(frozen=True)
class ReadCalendarFeed:
    """An organisation's iCalendar feed, opened with its secret ``key`` (no login)."""

    key: str
