"""Booking tables: the asset read model (from catalog events), bookings and their audit trail."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, TSTZRANGE, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AssetView(Base):
    """Booking's own copy of a catalog asset, kept current by catalog.assets events."""

    __tablename__ = "asset_view"
    asset_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_org: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    booking_mode: Mapped[str] = mapped_column(Text)
    regions: Mapped[list[str]] = mapped_column(ARRAY(Text))
    capacity: Mapped[int] = mapped_column(Integer)
    readiness_notice: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    tariffs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    home_base: Mapped[str] = mapped_column(Text, default="")
    # {lat, lon} of the home base, when catalog knows it (ranks alternatives by travel time).
    home_location: Mapped[dict[str, float] | None] = mapped_column(JSONB, nullable=True)
    notice_seconds: Mapped[int] = mapped_column(Integer, default=0)
    availability: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    blackouts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Booking(Base):
    __tablename__ = "bookings"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset_view.asset_id"))
    owner_org: Mapped[str] = mapped_column(Text)
    requester_org: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    # True when the booking holds its window exclusively (slot assets); the exclusion
    # constraint applies to these. An acute request waiting to preempt does not, yet.
    holds_slot: Mapped[bool] = mapped_column()
    needs_preemption: Mapped[bool] = mapped_column(default=False)
    series_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    counter_asset_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    counter_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    counter_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    preempted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    alternatives: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB, nullable=True)
    planned_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    planned_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    during: Mapped[Any] = mapped_column(
        TSTZRANGE, Computed("tstzrange(planned_start, planned_end, '[)')", persisted=True)
    )
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    # A PurposeClass value: what the public register may say the use was for (migration 0009).
    purpose_class: Mapped[str] = mapped_column(Text, default="other", server_default="other")
    contact: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    tariff: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actual_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    actual_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    usage_quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The crisis fast path (services/booking/crisis.py): the safety region the asset is needed
    # in, an acute request's decision clock and when it escalated (at most once), and for a
    # hold the preempted booking it stands in for and when it lapses.
    region: Mapped[str | None] = mapped_column(Text, nullable=True)
    decide_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    held_for: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CategoryDecisionTime(Base):
    """How long an owner has to decide an acute request for an asset of the category before it
    escalates (an administrator sets it; categories without a row take the domain default)."""

    __tablename__ = "category_decision_times"
    category: Mapped[str] = mapped_column(Text, primary_key=True)
    decision_minutes: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RegionSeat(Base):
    """Where each safety region's seat lies: the destination of the travel-time estimate.
    Booking's own copy (catalog publishes no region events); seeded by migration 0008."""

    __tablename__ = "region_seats"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    seat: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Double)
    lon: Mapped[float] = mapped_column(Double)


class BookingTransition(Base):
    """Audit trail: every state change with actor, time and reason."""

    __tablename__ = "booking_transitions"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    from_state: Mapped[str | None] = mapped_column(Text, nullable=True)
    to_state: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    actor_org: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ContractView(Base):
    """Booking's copy of a framework contract (from catalog events) and its remaining volume."""

    __tablename__ = "contract_view"
    contract_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_org: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text)
    supplier: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    total_volume: Mapped[int] = mapped_column(Integer)
    remaining_volume: Mapped[int] = mapped_column(Integer)
    item_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class AssetWindow(Base):
    """Concrete availability of an asset (rules expanded, blackouts subtracted), kept by the
    read model so "what is free" is one indexed query instead of expanding rules per asset."""

    __tablename__ = "asset_windows"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    during: Mapped[Any] = mapped_column(TSTZRANGE)


class Series(Base):
    __tablename__ = "booking_series"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    requester_org: Mapped[str] = mapped_column(Text)
    asset_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    rule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Order(Base):
    """An order against a framework contract's remaining volume."""

    __tablename__ = "orders"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract_view.contract_id"))
    item_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    requester_org: Mapped[str] = mapped_column(Text)
    owner_org: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    delivery_date: Mapped[date] = mapped_column(Date)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    solo_unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    market_reference_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    legal_basis: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    ordered_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
