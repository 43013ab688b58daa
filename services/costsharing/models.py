"""Cost-sharing tables: agreements, allocations and the append-only ledger."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(14, 2)


class Base(DeclarativeBase):
    pass


class Agreement(Base):
    __tablename__ = "agreements"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_org: Mapped[str | None] = mapped_column(Text, nullable=True)
    requester_org: Mapped[str | None] = mapped_column(Text, nullable=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    price_basis: Mapped[str] = mapped_column(Text)
    requester_share_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    charge_mobilisation: Mapped[bool] = mapped_column(Boolean)
    cancellation_free_hours: Mapped[int] = mapped_column(Integer, default=48)
    cancellation_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Allocation(Base):
    __tablename__ = "allocations"
    __table_args__ = (UniqueConstraint("booking_id", "kind", name="uq_allocation_booking_kind"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(Text)  # usage | cancellation | procurement
    source_event_id: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)  # proposed | needs_agreement | approved | ...
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agreements.id"), nullable=True
    )
    agreement_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requester_org: Mapped[str] = mapped_column(Text)
    owner_org: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    usage_quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    requester_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    owner_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    basis: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerEntry(Base):
    """Append-only: the database refuses UPDATE and DELETE (corrections are reversing entries)."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    allocation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("allocations.id"), index=True)
    org: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(Text)  # debit | credit | borne
    amount: Mapped[Decimal] = mapped_column(Money)
    memo: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
