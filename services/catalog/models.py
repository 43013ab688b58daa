"""Catalog tables (SQLAlchemy 2, typed)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    Date,
    DateTime,
    ForeignKey,
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
