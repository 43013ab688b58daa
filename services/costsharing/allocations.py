"""Allocations: turn booking events into priced, split, ledgered allocations (the consumer's
part); what every allocation event carries. Finance's review is in reviews.py, reading in
queries.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from services.costsharing.agreements import applicable, terms_of
from services.costsharing.domain import (
    Split,
    State,
    cancellation_split,
    ledger_lines,
    procurement_split,
    split_cost,
)
from services.costsharing.models import Agreement, Allocation, LedgerEntry
from shared.db import BulkInsert, UnitOfWork
from shared.tariffs import priced_units, tariff_day

ALLOCATIONS_TOPIC = "costsharing.allocations"

# Statements built once (Core, not ORM): per event, building them cost more than running them.
_ALLOCATIONS = Allocation.metadata.tables["allocations"]
_CLAIM_ALLOCATIONS = BulkInsert(
    _ALLOCATIONS,
    (
        "id",
        "booking_id",
        "kind",
        "source_event_id",
        "state",
        "agreement_id",
        "agreement_version",
        "requester_org",
        "owner_org",
        "category",
        "legal_basis",
        "usage_quantity",
        "basis",
        "used_on",
        "occurred_at",
        "version",
        "total",
        "requester_amount",
        "owner_amount",
    ),
    tail="ON CONFLICT ON CONSTRAINT uq_allocation_booking_kind DO NOTHING RETURNING id::text",
)
_LEDGER = LedgerEntry.metadata.tables["ledger_entries"]
_LEDGER_BULK = BulkInsert(
    _LEDGER, ("allocation_id", "org", "side", "kind", "entry", "amount", "source_event_id")
)


_EVENT_FIELDS = (
    "id",
    "booking_id",
    "kind",
    "state",
    "source_event_id",
    "agreement_id",
    "requester_org",
    "owner_org",
    "category",
    "legal_basis",
    "usage_quantity",
    "total",
    "requester_amount",
    "owner_amount",
)


def _data_of(a: Mapping[str, Any]) -> dict[str, Any]:
    def money(x: Decimal | None) -> str | None:
        return None if x is None else str(x)

    return {
        "allocation_id": str(a["id"]),
        "booking_id": str(a["booking_id"]),
        "kind": a["kind"],
        "state": a["state"],
        "source_event_id": a["source_event_id"],
        "agreement_id": str(a["agreement_id"]) if a["agreement_id"] else None,
        "requester_org": a["requester_org"],
        "owner_org": a["owner_org"],
        "category": a["category"],
        "legal_basis": a["legal_basis"],
        "usage_quantity": f"{a['usage_quantity']:.2f}",  # the contract wants two places
        "total": money(a["total"]),
        "requester_amount": money(a["requester_amount"]),
        "owner_amount": money(a["owner_amount"]),
        "currency": "EUR",
    }


def allocation_data(a: Allocation) -> dict[str, Any]:
    """What every costsharing.allocation.* event carries about the allocation."""
    return _data_of({field: getattr(a, field) for field in _EVENT_FIELDS})


def emit(uow: UnitOfWork, allocation: Allocation, event_type: str, **extra: Any) -> None:
    """Stage a costsharing.allocation.* event about ``allocation`` in the unit of work."""
    uow.add_event(
        event_type=event_type,
        topic=ALLOCATIONS_TOPIC,
        aggregate_type="allocation",
        aggregate_id=str(allocation.id),
        data={**allocation_data(allocation), **extra},
    )


@dataclass(frozen=True)
class PricedAllocation:
    """An allocation worked out from one event, not yet written (see ``record_allocations``)."""

    cause: dict[str, Any]
    values: dict[str, Any]
    split: Split | None


def _priced(
    *,
    event: dict[str, Any],
    kind: str,
    source_id: str,
    usage: Decimal,
    used_on: date,
    agreement: Agreement | None,
    split: Split | None,
    basis: dict[str, Any],
) -> PricedAllocation:
    data = event["data"]
    # Ids as strings: the row goes to PostgreSQL as JSON (BulkInsert) and into the event.
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "booking_id": str(uuid.UUID(source_id)),  # canonical in the row and the event
        "kind": kind,
        "source_event_id": event["id"],
        "state": (State.PROPOSED if split is not None else State.NEEDS_AGREEMENT).value,
        "agreement_id": str(agreement.id) if agreement else None,
        "agreement_version": agreement.version if agreement else None,
        "requester_org": data["requester_org"],
        "owner_org": data["owner_org"],
        "category": data.get("category", "procurement_item"),
        "legal_basis": data["legal_basis"],
        "usage_quantity": usage,
        "basis": basis,
        "used_on": used_on,
        "occurred_at": event["occurred_at"],
        "version": 1,
        "total": split.total if split else None,
        "requester_amount": split.requester_amount if split else None,
        "owner_amount": split.owner_amount if split else None,
    }
    return PricedAllocation(cause=event, values=values, split=split)


def record_allocations(
    session: Session,
    priced: Sequence[PricedAllocation],
    unit_of_work: Callable[[dict[str, Any]], UnitOfWork],
) -> int:
    """Write allocations, their ledger lines and events: one statement per table.

    Each (source, kind) is recorded once whatever the redeliveries (uq_allocation_booking_kind):
    a re-sent event (new event id, same fact) changes nothing. Returns how many were new."""
    if not priced:
        return 0
    written = set(_CLAIM_ALLOCATIONS.execute(session, (p.values for p in priced)).scalars())
    lines: list[dict[str, Any]] = []
    for p in priced:
        values = p.values
        if values["id"] not in written:
            continue
        if p.split is not None:
            lines.extend(
                {
                    "allocation_id": values["id"],
                    "org": x.org,
                    "side": x.side,
                    "kind": x.kind,
                    "entry": "original",
                    "amount": x.amount,
                    "source_event_id": p.cause["id"],
                }
                for x in ledger_lines(
                    requester_org=values["requester_org"],
                    owner_org=values["owner_org"],
                    split=p.split,
                )
            )
        unit_of_work(p.cause).add_event(
            event_type="costsharing.allocation.proposed",
            topic=ALLOCATIONS_TOPIC,
            aggregate_type="allocation",
            aggregate_id=str(values["id"]),
            data=_data_of(values),
        )
    if lines:
        _LEDGER_BULK.execute(session, lines)
    return len(written)


def _terms_basis(agreement: Agreement | None, split: Split | None, **extra: Any) -> dict[str, Any]:
    return {
        "agreement_version": agreement.version if agreement else None,
        "price_basis": agreement.price_basis if agreement else None,
        "requester_share_pct": str(agreement.requester_share_pct) if agreement else None,
        "rate": str(split.rate) if split else None,
        "mobilisation_fee": str(split.mobilisation_fee) if split else None,
        "reason": None if split else "no agreement or tariff covers this use",
        **extra,
    }


def price_completed_use(uow: UnitOfWork, *, event: dict[str, Any]) -> PricedAllocation:
    """booking.completed → price the actual use by the tariff and the applicable agreement.

    A use falls on the Dutch date of its start (statement periods and agreements count in
    Dutch dates), whatever offset the event's timestamps carry."""
    data = event["data"]
    used_on = tariff_day(datetime.fromisoformat(data["actual_start"]))
    agreement = applicable(
        uow,
        legal_basis=data["legal_basis"],
        category=data["category"],
        owner_org=data["owner_org"],
        requester_org=data["requester_org"],
        on=used_on,
    )
    # Booking reports hours of use per booked unit; what is priced (and repriced by a
    # resolution) is the tariff's units: a day-rate team used for 8 hours is one day.
    hours = Decimal(data["usage_quantity"]) * data.get("quantity", 1)
    tariff = data.get("tariff")
    usage = priced_units(tariff, Decimal(data["usage_quantity"]), data.get("quantity", 1))
    split = None
    if agreement is not None and tariff is not None:
        split = split_cost(
            usage=usage,
            full_cost_rate=Decimal(tariff["full_cost_rate"]),
            marginal_cost_rate=Decimal(tariff["marginal_cost_rate"]),
            mobilisation_fee=Decimal(tariff["mobilisation_fee"]),
            terms=terms_of(agreement),
        )
    return _priced(
        event=event,
        kind="usage",
        source_id=data["booking_id"],
        usage=usage,
        used_on=used_on,
        agreement=agreement,
        split=split,
        basis=_terms_basis(agreement, split, tariff=tariff, hours=str(hours)),
    )


def price_late_cancellation(uow: UnitOfWork, *, event: dict[str, Any]) -> PricedAllocation | None:
    """booking.cancelled late → the agreement's cancellation fee on the estimate; early: none.

    Only a cancelled approval is charged: withdrawing a request or declining a counter-offer
    cancels nothing that was promised. Events from before booking said what it was cancelled
    from (``cancelled_from``) are read as cancelled approvals, as they always were."""
    data = event["data"]
    if data.get("cancelled_from", "approved") != "approved":
        return None
    planned_start = datetime.fromisoformat(data["planned_start"])
    planned_end = datetime.fromisoformat(data["planned_end"])
    planned_on = tariff_day(planned_start)  # the Dutch date of the planned start
    agreement = applicable(
        uow,
        legal_basis=data["legal_basis"],
        category=data["category"],
        owner_org=data["owner_org"],
        requester_org=data["requester_org"],
        on=planned_on,
    )
    tariff = data.get("tariff")
    if agreement is None or tariff is None:
        return None  # nothing agreed about cancellations: nothing is charged
    hours = Decimal((planned_end - planned_start).total_seconds()) / Decimal(3600)
    estimate = split_cost(
        usage=priced_units(tariff, hours, data.get("quantity", 1)),
        full_cost_rate=Decimal(tariff["full_cost_rate"]),
        marginal_cost_rate=Decimal(tariff["marginal_cost_rate"]),
        mobilisation_fee=Decimal(tariff["mobilisation_fee"]),
        terms=terms_of(agreement),
    )
    split = cancellation_split(
        hours_before_start=float(data["hours_before_start"]),
        free_hours=agreement.cancellation_free_hours,
        pct=agreement.cancellation_pct,
        estimate_total=estimate.total,
        terms=terms_of(agreement),
    )
    if split is None:
        return None
    return _priced(
        event=event,
        kind="cancellation",
        source_id=data["booking_id"],
        usage=Decimal(0),
        used_on=planned_on,
        agreement=agreement,
        split=split,
        basis=_terms_basis(
            agreement,
            split,
            estimate=str(estimate.total),
            cancellation_pct=str(agreement.cancellation_pct),
            hours_before_start=data["hours_before_start"],
        ),
    )


def price_order(uow: UnitOfWork, *, event: dict[str, Any]) -> PricedAllocation:
    """booking.order.placed → the order at the joint tier price."""
    data = event["data"]
    ordered_on = tariff_day(datetime.fromisoformat(data["ordered_at"]))
    agreement = applicable(
        uow,
        legal_basis=data["legal_basis"],
        category="procurement_item",
        owner_org=data["owner_org"],
        requester_org=data["requester_org"],
        on=ordered_on,
    )
    split = procurement_split(
        quantity=data["quantity"],
        unit_price=Decimal(data["unit_price"]),
        terms=terms_of(agreement) if agreement else None,
    )
    return _priced(
        event=event,
        kind="procurement",
        source_id=data["order_id"],
        usage=Decimal(data["quantity"]),
        used_on=ordered_on,
        agreement=agreement,
        split=split,
        basis=_terms_basis(
            agreement,
            split,
            unit_price=data["unit_price"],
            solo_unit_price=data["solo_unit_price"],
            market_reference_price=data["market_reference_price"],
            contract_id=data["contract_id"],
        ),
    )
