"""What every change of a booking leaves behind, in the same unit of work: a row in its audit
trail (booking_transitions) and its event in the outbox, carrying the booking as every
booking.* event does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.booking.domain import State, decision_seconds
from services.booking.models import Booking, BookingTransition
from shared.auth import Principal
from shared.db import UnitOfWork

BOOKINGS_TOPIC = "booking.bookings"


def booking_data(booking: Booking, **extra: Any) -> dict[str, Any]:
    """The booking as every booking.* event carries it: enough for cost-sharing not to call back."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    data = {
        "booking_id": str(booking.id),
        "asset_id": str(booking.asset_id),
        "owner_org": booking.owner_org,
        "requester_org": booking.requester_org,
        "category": booking.category,
        "state": booking.state,
        "priority": booking.priority,
        "legal_basis": booking.legal_basis,
        "purpose": booking.purpose,
        "purpose_class": booking.purpose_class,
        "quantity": booking.quantity,
        "planned_start": booking.planned_start.isoformat(),
        "planned_end": booking.planned_end.isoformat(),
        "actual_start": iso(booking.actual_start),
        "actual_end": iso(booking.actual_end),
        "usage_quantity": str(booking.usage_quantity)
        if booking.usage_quantity is not None
        else None,
        "tariff": booking.tariff,
        "requested_at": booking.created_at.isoformat(),
        "decided_at": iso(booking.decided_at),
        "version": booking.version,
        "series_id": str(booking.series_id) if booking.series_id else None,
        "region": booking.region,
        "decide_by": iso(booking.decide_by),
        "escalated_at": iso(booking.escalated_at),
        "decision_seconds": decision_seconds(booking.created_at, booking.decided_at),
        "held_for": str(booking.held_for) if booking.held_for else None,
        "hold_expires_at": iso(booking.hold_expires_at),
    }
    data.update(extra)
    return data


def record(
    uow: UnitOfWork,
    booking: Booking,
    action: str,
    from_state: State | None,
    principal: Principal | None,
    reason: str | None,
    *,
    event: str,
    **extra: Any,
) -> None:
    uow.session.add(
        BookingTransition(
            booking_id=booking.id,
            action=action,
            from_state=from_state.value if from_state else None,
            to_state=booking.state,
            actor=principal.sub if principal else "system",
            actor_org=principal.org if principal else "system",
            reason=reason,
        )
    )
    uow.add_event(
        event_type=event,
        topic=BOOKINGS_TOPIC,
        aggregate_type="booking",
        aggregate_id=str(booking.id),
        data=booking_data(booking, reason=reason, **extra),
    )
