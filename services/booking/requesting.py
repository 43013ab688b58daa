"""Requesting a booking: a police planner asks for an asset for a window, and the request holds
the capacity at once. The hot path of the whole product (docs/benchmarks.md): three
statements (services/booking/request_sql.py), no ORM objects. A series requests each of its
occurrences otherwise (services/booking/series.py: request_occurrence)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg.errors
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from services.booking.capacity import (
    bookable_asset,
    check_bookable,
    check_fits,
    check_size_and_notice,
    taken,
    unpublished,
)
from services.booking.commands import RequestBooking
from services.booking.domain import (
    Priority,
    State,
    check_window,
    decision_deadline,
    expiry_deadline,
)
from services.booking.recording import BOOKINGS_TOPIC
from services.booking.request_sql import INSERT_REQUEST, REQUEST_FACTS, execute
from services.booking.search import tariff_at
from services.booking.visibility import Holder
from shared.auth import PLANNER, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import make_event
from shared.idempotency import IdempotentRequest
from shared.units import region_of_use

# Lost races are retried in a fresh transaction, which then sees the winner: the booking that
# took the window (409 naming it, or a preemption request if acute) or the first answer for
# the same key. Each retry needs another request to have committed first, so few suffice.
_ATTEMPTS = 3


def _lost_race(exc: DBAPIError) -> bool:
    # Two concurrent inserts of overlapping windows each wait for the other's exclusion check:
    # PostgreSQL aborts one as a deadlock. That one lost the race too.
    return isinstance(
        exc.orig,
        psycopg.errors.ExclusionViolation
        | psycopg.errors.UniqueViolation
        | psycopg.errors.DeadlockDetected,
    )


def request_booking(
    make_uow: Callable[[], UnitOfWork],
    *,
    principal: Principal,
    command: RequestBooking,
    idempotency: IdempotentRequest | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A police planner requests an asset for a window; the request holds capacity at once.

    Returns the booking as ``BookingRead`` dumps it (or, for a repeated ``Idempotency-Key``,
    the first answer). An acute (priority 1) request for a slot already taken is accepted as
    waiting for the owner to preempt the lower-priority booking; any other conflict is refused
    with 409. Takes a unit-of-work factory, not a unit of work: a request that loses a race
    to a concurrent one is judged again in a fresh transaction.
    """
    lost: DBAPIError | None = None
    for _ in range(_ATTEMPTS):
        with make_uow() as uow:
            try:
                body = _request_once(
                    uow,
                    principal=principal,
                    command=command,
                    idempotency=idempotency,
                    now=now or datetime.now(UTC),
                )
                uow.commit()
                return body
            except (IntegrityError, OperationalError) as exc:
                if not _lost_race(exc):
                    raise
                lost = exc
    raise Conflict(
        "The window was taken by concurrent requests while this one was judged; try again."
    ) from lost


class _Judged(NamedTuple):
    """What judging a request found: the asset (the facts row, or the locked read-model row of
    a capacity asset) and the ids of the active bookings holding its slot (acute only)."""

    asset: Any
    clashes: list[str]


def _request_once(
    uow: UnitOfWork,
    *,
    principal: Principal,
    command: RequestBooking,
    idempotency: IdempotentRequest | None,
    now: datetime,
) -> dict[str, Any]:
    try:
        if not principal.has_role(PLANNER):
            raise Forbidden("Only a police planner (politie-planner) requests bookings.")
        check_window(command.start, command.end, now=now)
    except (Forbidden, Invalid):
        # A repeated key gets its first answer before anything is judged, as a retry must.
        if idempotency is not None and (prior := idempotency.stored(uow)) is not None:
            return prior
        raise
    facts = execute(
        uow.session,
        REQUEST_FACTS,
        {
            "asset_id": command.asset_id,
            "start": command.start,
            "end": command.end,
            "actor": idempotency.actor if idempotency else None,
            "key": idempotency.key if idempotency else None,
        },
    ).fetchone()
    if idempotency is not None and facts.request_hash is not None:
        return idempotency.replay(facts.request_hash, facts.response_body)
    check_bookable(facts if facts.asset_id is not None else None)
    judged = _judge(uow, principal, command, facts, idempotency, now)
    if isinstance(judged, dict):  # the first answer for this key, committed meanwhile
        return judged
    return _insert(uow, principal, command, judged, facts.decision_minutes, idempotency, now)


def _judge(
    uow: UnitOfWork,
    principal: Principal,
    command: RequestBooking,
    facts: Any,
    idempotency: IdempotentRequest | None,
    now: datetime,
) -> _Judged | dict[str, Any]:
    """Can the asset take the request? Refuses what it cannot (4xx); returns the first answer
    for the key instead if a request with the same key committed while this one waited."""
    start, end, quantity = command.start, command.end, command.quantity
    priority = Priority(command.priority)
    if facts.booking_mode == "slot":
        # No row lock: the exclusion constraint is what refuses a concurrent double booking.
        check_size_and_notice(facts, start, quantity, priority=priority, now=now)
        if not facts.published:
            raise unpublished(facts)
        holders = [Holder(*c) for c in facts.clashes]  # [id, requester_org, owner_org]
        if holders and priority is not Priority.ACUTE:
            raise taken(facts, holders[0], principal)
        return _Judged(facts, [h.id for h in holders])
    # Capacity: lock the asset, then sum the load in a statement of its own; a statement
    # that began before the lock was granted would not see the request that held it.
    asset = bookable_asset(uow.session, facts.asset_id)
    # The lock may have waited for a request with the same key: its answer is now
    # committed and visible, and a retry must get it (or 422), not a 409 for lack of room.
    if idempotency is not None and (prior := idempotency.stored(uow)) is not None:
        return prior
    check_fits(
        uow.session, asset, start, end, quantity, priority=priority, now=now, viewer=principal
    )
    return _Judged(asset, [])


class _NewRequest(NamedTuple):
    """A new request as the three things it is written as: the columns both the answer and
    the event carry (``row``), the answer (what BookingRead dumps for it: tests/integration
    compare them) and the event's data (what booking_data() gives for it)."""

    row: dict[str, Any]
    body: dict[str, Any]
    data: dict[str, Any]


def _new_request(
    principal: Principal,
    command: RequestBooking,
    judged: _Judged,
    deadlines: tuple[datetime, datetime | None],
    now: datetime,
) -> _NewRequest:
    asset, clashes = judged
    expires_at, decide_by = deadlines
    tariff = tariff_at(asset.tariffs, command.start)
    row = {
        "id": str(uuid.uuid4()),
        "asset_id": str(asset.asset_id),
        "owner_org": asset.owner_org,
        "requester_org": principal.org,
        "category": asset.category,
        "state": State.REQUESTED.value,
        "planned_start": command.start.isoformat(),
        "planned_end": command.end.isoformat(),
        "quantity": command.quantity,
        "priority": int(Priority(command.priority)),
        "legal_basis": command.legal_basis.value,
        "purpose": command.purpose,
        "purpose_class": command.purpose_class.value,
        "contact": command.contact,
    }
    undecided = {"actual_start": None, "actual_end": None, "usage_quantity": None}
    crisis = _crisis_fields(command.region, decide_by)
    body = {
        **row,
        "expires_at": expires_at.isoformat(),
        **undecided,
        "tariff": tariff,
        "version": 1,
        "created_at": now.isoformat(),
        "decided_at": None,
        "needs_preemption": bool(clashes),
        "series_id": None,
        **dict.fromkeys(("counter_asset_id", "counter_start", "counter_end")),
        **dict.fromkeys(("preempted_by", "alternatives")),
        **crisis,
        "region_of_use": region_of_use(command.region, principal.org),
    }
    data = {
        "booking_id": row["id"],
        **{k: row[k] for k in _EVENT_FIELDS},
        **undecided,
        "tariff": tariff,
        "requested_at": body["created_at"],
        "decided_at": None,
        "version": 1,
        "series_id": None,
        "reason": None,
        **crisis,
    }
    if clashes:
        data["conflicts_with"] = clashes
    return _NewRequest(row, body, data)


def _insert(
    uow: UnitOfWork,
    principal: Principal,
    command: RequestBooking,
    judged: _Judged,
    decision_minutes: int | None,
    idempotency: IdempotentRequest | None,
    now: datetime,
) -> dict[str, Any]:
    """Write the booking, its audit row, its event and the key's answer, and commit."""
    priority = Priority(command.priority)
    expires_at = expiry_deadline(requested_at=now, start=command.start, priority=priority)
    decide_by = decision_deadline(
        requested_at=now, priority=priority, decision_minutes=decision_minutes
    )
    new = _new_request(principal, command, judged, (expires_at, decide_by), now)
    event = make_event(
        event_type="booking.requested",
        producer=uow.producer,
        aggregate_id=new.row["id"],
        data=new.data,
        actor=uow.actor,
        trace_id=uow.trace_id,
    )
    asset = judged.asset
    params = {
        **{k: new.row[k] for k in ("id", "requester_org", "quantity", "priority", "contact")},
        **{k: new.row[k] for k in ("legal_basis", "purpose", "purpose_class")},
        "asset_id": asset.asset_id,
        "owner_org": asset.owner_org,
        "requested_by": principal.sub,
        "category": asset.category,
        "holds_slot": asset.booking_mode == "slot" and not judged.clashes,
        "needs_preemption": bool(judged.clashes),
        "start": command.start,
        "end": command.end,
        "tariff": json.dumps(new.body["tariff"]),
        "expires_at": expires_at,
        "created_at": now,
        "region": command.region,
        "decide_by": decide_by,
        "event_id": event["id"],
        "topic": uow.topic_for(BOOKINGS_TOPIC),
        "payload": json.dumps(event),
        "occurred_at": event["occurred_at"],
        "key": idempotency.key if idempotency else None,
        "request_hash": idempotency.fingerprint if idempotency else None,
        "response": json.dumps(new.body),
    }
    # The last statement: committing with it saves a round trip.
    execute(uow.session, INSERT_REQUEST, params, commit=True)
    uow.events.append(event)
    return new.body


def _crisis_fields(region: str | None, decide_by: datetime | None) -> dict[str, Any]:
    """The crisis fields of a new request, as BookingRead and booking_data() give them."""
    return {
        "region": region,
        "decide_by": decide_by.isoformat() if decide_by else None,
        "escalated_at": None,
        "decision_seconds": None,
        "held_for": None,
        "hold_expires_at": None,
    }


_EVENT_FIELDS = (
    "asset_id",
    "owner_org",
    "requester_org",
    "category",
    "state",
    "priority",
    "legal_basis",
    "purpose",
    "purpose_class",
    "quantity",
    "planned_start",
    "planned_end",
)
