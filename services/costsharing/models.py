"""Cost-sharing tables: agreements (versioned), allocations, the append-only ledger,
statements, and read models of assets and bookings for estimates and efficiency figures."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    case,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column

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


class AgreementVersion(Base):
    """Every version of an agreement's terms; allocations point at the version they used."""

    __tablename__ = "agreement_versions"
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerEntry(Base):
    """Append-only: the database refuses UPDATE and DELETE (corrections are reversing entries),
    and links each line into a hash chain as it is inserted (ledger_chain.py)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("uq_ledger_entries_chain_seq", "chain_seq", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    allocation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("allocations.id"), index=True)
    org: Mapped[str] = mapped_column(Text, index=True)
    side: Mapped[str] = mapped_column(Text)  # debit | credit
    kind: Mapped[str] = mapped_column(Text)  # requester_share | owner_borne | provision
    entry: Mapped[str] = mapped_column(Text)  # original | reversal | correction
    amount: Mapped[Decimal] = mapped_column(Money)
    source_event_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The hash chain (migration 0005): the database sets all three as it inserts the line.
    chain_seq: Mapped[int] = mapped_column(BigInteger, server_default=FetchedValue())
    prev_hash: Mapped[str] = mapped_column(Text, server_default=FetchedValue())
    hash: Mapped[str] = mapped_column(Text, server_default=FetchedValue())


def _current(priced: Any, allocation_id: Any, kind: str, adds: str) -> Any:
    """An allocation's current amount of one kind: what it was priced at plus what its
    reversal and correction lines changed (a line on the ``adds`` side adds, the other side
    takes away); NULL while neither exists."""
    corrected = (
        select(
            func.sum(
                case((LedgerEntry.side == adds, LedgerEntry.amount), else_=-LedgerEntry.amount)
            )
        )
        .where(
            LedgerEntry.allocation_id == allocation_id,
            LedgerEntry.kind == kind,
            LedgerEntry.entry != "original",
        )
        .correlate_except(LedgerEntry)
        .scalar_subquery()
    )
    return func.coalesce(priced + corrected, priced, corrected)


class Allocation(Base):
    __tablename__ = "allocations"
    __table_args__ = (UniqueConstraint("booking_id", "kind", name="uq_allocation_booking_kind"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))  # or, for an order, its id
    kind: Mapped[str] = mapped_column(Text)  # usage | cancellation | procurement
    source_event_id: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agreements.id"), nullable=True
    )
    agreement_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requester_org: Mapped[str] = mapped_column(Text)
    owner_org: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    usage_quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # What it was priced at when recorded (NULL: nothing priced it). Fixed: the database
    # refuses to change them (migration 0006); a resolution writes reversal and correction
    # ledger lines instead, and the current amounts below add those up.
    priced_total: Mapped[Decimal | None] = mapped_column("total", Money, nullable=True)
    priced_requester_amount: Mapped[Decimal | None] = mapped_column(
        "requester_amount", Money, nullable=True
    )
    priced_owner_amount: Mapped[Decimal | None] = mapped_column(
        "owner_amount", Money, nullable=True
    )
    total: Mapped[Decimal | None] = column_property(
        _current(priced_total, id, "provision", "credit")
    )
    requester_amount: Mapped[Decimal | None] = column_property(
        _current(priced_requester_amount, id, "requester_share", "debit")
    )
    owner_amount: Mapped[Decimal | None] = column_property(
        _current(priced_owner_amount, id, "owner_borne", "debit")
    )
    basis: Mapped[dict[str, Any]] = mapped_column(JSONB)
    used_on: Mapped[date] = mapped_column(Date)
    statement_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AllocationReview(Base):
    """Who reviewed an allocation, how and why: one row per transition of the review
    (reviews._transition; booking keeps its own the same way, in booking_transitions)."""

    __tablename__ = "allocation_reviews"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    allocation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("allocations.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    from_state: Mapped[str] = mapped_column(Text)
    to_state: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    actor_org: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Statement(Base):
    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("org", "period", name="uq_statement_org_period"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    org: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    totals: Mapped[dict[str, Any]] = mapped_column(JSONB)
    closed_by: Mapped[str] = mapped_column(Text)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StatementLine(Base):
    """The ledger lines a closed statement holds, fixed when it closed: lines that reach its
    period later are not among them. A ledger line is in one closed statement at most (the
    key)."""

    __tablename__ = "statement_lines"
    ledger_entry_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_entries.id"), primary_key=True, autoincrement=False
    )
    statement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("statements.id"), index=True)


class AssetFacts(Base):
    """Cost-sharing's copy of catalog assets (tariffs, availability) for estimates/utilisation."""

    __tablename__ = "asset_facts"
    asset_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_org: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    regions: Mapped[list[str]] = mapped_column(ARRAY(Text))
    capacity: Mapped[int] = mapped_column(Integer)
    tariffs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    availability: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    blackouts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)


class BookingFacts(Base):
    """The latest known state of each booking, for utilisation and response figures."""

    __tablename__ = "booking_facts"
    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    requester_org: Mapped[str] = mapped_column(Text)
    owner_org: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    planned_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    planned_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    quantity: Mapped[int] = mapped_column(Integer)
    usage_quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    market_reference_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    # The crisis fast path: an acute request is priority 1; escalated_at when it was not
    # decided in time (both NULL for facts kept before migration 0003).
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Which agreements may price it (NULL for facts kept before migration 0004 without an
    # allocation): an agreement's preview lists the coming bookings it would cover.
    legal_basis: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Where the use counts (efficiency and evaluation by region): the region the request named,
    # else the requesting unit's home region (shared/units.py). NULL when neither is known and
    # for facts kept before migration 0007: those count under the asset's first region.
    region: Mapped[str | None] = mapped_column(Text, nullable=True)
