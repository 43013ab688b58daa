"""Catalog tables (SQLAlchemy 2, typed)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Money = Numeric(12, 2)


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)  # politie | defensie | joint


class Region(Base):
    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    # The seat (town) and its location {lat, lon}: where travel to the region is measured to.
    seat: Mapped[str | None] = mapped_column(Text, nullable=True)
    seat_location: Mapped[dict[str, float] | None] = mapped_column(JSONB, nullable=True)


class ReferenceChange(Base):
    """Who created or renamed an organisation or a region, when, and what changed (the
    audit trail of administrators' edits; nothing else writes reference data)."""

    __tablename__ = "reference_changes"
    __table_args__ = (Index("ix_reference_changes_subject", "subject", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(Text)  # organisation | region
    subject_id: Mapped[str] = mapped_column(Text)  # the organisation's id, the region's code
    action: Mapped[str] = mapped_column(Text)  # created | updated
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB)  # field -> [before, after]
    actor: Mapped[str] = mapped_column(Text)
    trace_id: Mapped[str | None] = mapped_column(Text, nullable=True)  # the request id
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("owner_org", "registration", name="uq_asset_registration"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    owner_org: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    registration: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    booking_mode: Mapped[str] = mapped_column(Text)
    home_base: Mapped[str] = mapped_column(Text)
    # The home base's location {lat, lon} (WGS84), when the owner recorded it.
    home_location: Mapped[dict[str, float] | None] = mapped_column(JSONB, nullable=True)
    regions: Mapped[list[str]] = mapped_column(ARRAY(Text))
    capacity: Mapped[int] = mapped_column(Integer)
    readiness_notice: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(Text, default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    tariffs: Mapped[list[Tariff]] = relationship(
        back_populates="asset", order_by="Tariff.valid_from", lazy="selectin"
    )
    windows: Mapped[list[AvailabilityWindow]] = relationship(
        order_by="AvailabilityWindow.created_at", viewonly=True
    )
    blackouts: Mapped[list[Blackout]] = relationship(order_by="Blackout.start_at", viewonly=True)


class Tariff(Base):
    __tablename__ = "tariffs"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"))
    unit: Mapped[str] = mapped_column(Text)
    full_cost_rate: Mapped[Decimal] = mapped_column(Money)
    marginal_cost_rate: Mapped[Decimal] = mapped_column(Money)
    mobilisation_fee: Mapped[Decimal] = mapped_column(Money)
    market_reference_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(Text, default="EUR")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)

    asset: Mapped[Asset] = relationship(back_populates="tariffs")


class AvailabilityWindow(Base):
    """Published availability: a one-off interval, or a weekly rule in local time."""

    __tablename__ = "availability_windows"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)  # one_off | recurring
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    weekdays: Mapped[list[int] | None] = mapped_column(ARRAY(Integer), nullable=True)
    start_time: Mapped[str | None] = mapped_column(Text, nullable=True)  # HH:MM local
    end_time: Mapped[str | None] = mapped_column(Text, nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    timezone: Mapped[str] = mapped_column(Text, default="Europe/Amsterdam")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Blackout(Base):
    """Defence's own use: overrides published availability."""

    __tablename__ = "blackouts"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FrameworkContract(Base):
    """A joint framework contract for procurement items, with volume price tiers."""

    __tablename__ = "framework_contracts"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    owner_org: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    reference: Mapped[str] = mapped_column(Text, unique=True)
    supplier: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    total_volume: Mapped[int] = mapped_column(Integer)
    item_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)  # [{min_quantity, unit_price}]
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AssetCommitment(Base):
    """What catalog knows of bookings (from booking events): enough to refuse a retirement."""

    __tablename__ = "asset_commitments"
    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    state: Mapped[str] = mapped_column(Text)
    planned_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    planned_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requester_org: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
