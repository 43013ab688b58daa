"""What each cost-sharing use case takes: typed, immutable, built by the schemas (post_load).

Commands are imperative (``RecordAgreement``, ``ResolveAllocation``); queries say what they
read (``AllocationFilter``). Standard library only, like the domain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.costsharing.domain import PriceBasis, State


class _Unset:
    """A field a partial update leaves as it is (``None`` is a value: 'no end date')."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class RecordAgreement:
    name: str
    legal_basis: str
    valid_from: date
    price_basis: PriceBasis
    requester_share_pct: Decimal
    category: str | None = None
    owner_org: str | None = None
    requester_org: str | None = None
    valid_to: date | None = None
    charge_mobilisation: bool = True
    cancellation_free_hours: int = 48
    cancellation_pct: Decimal = Decimal("0")

    def columns(self) -> dict[str, Any]:
        """The agreement's columns (the price basis by its stored value)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**values, "price_basis": PriceBasis(self.price_basis).value}


@dataclass(frozen=True)
class ReviseAgreement:
    """A new version of an agreement's terms: only the fields given change."""

    name: str = UNSET
    valid_to: date | None = UNSET
    price_basis: PriceBasis = UNSET
    requester_share_pct: Decimal = UNSET
    charge_mobilisation: bool = UNSET
    cancellation_free_hours: int = UNSET
    cancellation_pct: Decimal = UNSET

    def changes(self) -> dict[str, Any]:
        """The fields given, as column values."""
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        return {
            name: value.value if isinstance(value, PriceBasis) else value
            for name, value in given.items()
            if value is not UNSET
        }


@dataclass(frozen=True)
class PreviewAgreement:
    """Terms to preview: a new agreement's (legal basis, start, price basis and share at
    least), or with ``agreement_id`` a new version of that one (only what a version may
    change is taken; the rest is the agreement's). A field not given is UNSET."""

    agreement_id: uuid.UUID | None = None
    name: str = UNSET
    legal_basis: str = UNSET
    category: str | None = UNSET
    owner_org: str | None = UNSET
    requester_org: str | None = UNSET
    valid_from: date = UNSET
    valid_to: date | None = UNSET
    price_basis: PriceBasis = UNSET
    requester_share_pct: Decimal = UNSET
    charge_mobilisation: bool = UNSET
    cancellation_free_hours: int = UNSET
    cancellation_pct: Decimal = UNSET

    def terms(self) -> dict[str, Any]:
        """The terms given (not the agreement_id)."""
        given = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "agreement_id"}
        return {name: value for name, value in given.items() if value is not UNSET}


@dataclass(frozen=True)
class EstimateUse:
    asset_id: uuid.UUID
    start: datetime
    end: datetime
    legal_basis: str
    quantity: int = 1
    requester_org: str | None = None


@dataclass(frozen=True)
class EstimateBatch:
    items: tuple[EstimateUse, ...]


@dataclass(frozen=True)
class AllocationFilter:
    """Which allocations to list: ``state`` any of several, ``org`` either party, ``period``
    the Dutch date of the use; a page of ``limit`` after ``cursor``."""

    booking_id: uuid.UUID | None = None
    state: tuple[State, ...] = ()
    org: str | None = None
    category: str | None = None
    period: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class PageRequest:
    """A page of a list: ``limit`` items after ``cursor`` (the first page without one)."""

    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class ReviewAllocation:
    """Approve, or dispute (which needs a reason)."""

    reason: str | None = None


@dataclass(frozen=True)
class ResolveAllocation:
    """Reprice by ``agreement_id``, or set the requester's share (and, where nothing priced
    the use, the ``total``); always with a reason."""

    reason: str
    agreement_id: uuid.UUID | None = None
    requester_amount: Decimal | None = None
    total: Decimal | None = None


@dataclass(frozen=True)
class StatementOf:
    """An organisation's statement for a period (2026, 2026-Q4, 2026-11)."""

    org: str
    period: str


@dataclass(frozen=True)
class CloseStatement:
    org: str
    period: str


@dataclass(frozen=True)
class ExportLedger:
    period: str | None = None


@dataclass(frozen=True)
class EfficiencyOf:
    period: str
    group_by: str = "category"


@dataclass(frozen=True)
class EfficiencyBatchOf:
    """Several (period, grouping) pairs at once, e.g. what one dashboard shows."""

    items: tuple[EfficiencyOf, ...]


@dataclass(frozen=True)
class EvaluationOf:
    baseline: str
    period: str
