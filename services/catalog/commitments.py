"""What catalog keeps of bookings (from booking events): enough to refuse retiring an asset
that bookings still to come hold, without asking booking (catalog answers while it is down)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.catalog.models import AssetCommitment
from shared.db import BulkInsert, UnitOfWork, newest_versions

# Booking states that hold the asset (booking.domain.ACTIVE_STATES; a counter-offer and a hold
# placed for a preempted unit hold it too).
ACTIVE_BOOKING_STATES = ("requested", "counter_offered", "approved", "in_use", "held")

_COMMITMENTS = AssetCommitment.metadata.tables["asset_commitments"]
# Built once: a booking's newer version replaces its row; an older or repeated one changes nothing.
_UPSERT_COMMITMENTS = BulkInsert.upsert_newer(
    _COMMITMENTS, key="booking_id", newer="asset_commitments.version < EXCLUDED.version"
)


def apply_booking_events(session: Session, booking_data: list[dict[str, Any]]) -> None:
    """Keep the latest state of each booking (by version) to answer retirement questions: a
    whole polled batch of booking events in one upsert, in the consumer's transaction (the
    consumer commits it with its offsets)."""
    newest = newest_versions(booking_data, "booking_id")
    if newest:
        _UPSERT_COMMITMENTS.execute(session, (_commitment(data) for data in newest.values()))


def apply_booking_event(uow: UnitOfWork, *, data: dict[str, Any]) -> None:
    """One booking event (the same statement as a batch of one)."""
    apply_booking_events(uow.session, [data])
    uow.commit()


def _commitment(data: dict[str, Any]) -> dict[str, Any]:
    # The event's strings go to PostgreSQL as JSON, which parses them into the column types.
    return {
        "booking_id": data["booking_id"],
        "asset_id": data["asset_id"],
        "state": data["state"],
        "planned_start": data["planned_start"],
        "planned_end": data["planned_end"],
        "requester_org": data["requester_org"],
        "version": data["version"],
    }
