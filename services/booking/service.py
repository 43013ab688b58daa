"""Booking use cases: request, decide, use; each one unit of work that also writes its events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import psycopg
import psycopg.errors
from psycopg.rows import namedtuple_row
from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from services.booking.domain import (
    ACTIVE_STATES,
    ACTOR_OF,
    DEFAULT_HOLD_MINUTES,
    EVENT_OF,
    REASON_REQUIRED,
    Action,
    LegalBasis,
    Party,
    Priority,
    PurposeClass,
    State,
    check_preemption,
    check_window,
    decision_deadline,
    decision_seconds,
    expiry_deadline,
    expiry_event,
    next_state,
    reported_usage,
)
from services.booking.models import (
    AssetView,
    Booking,
    BookingTransition,
    CategoryDecisionTime,
)
from services.booking.readmodel import apply_asset_snapshot, apply_contract
from services.booking.search import PUBLISHED_CONDITION, find_free, is_published, tariff_at
from services.booking.visibility import Holder, Seen, may_see, seen_by, visible, visible_ids
from shared.auth import OWNER, PLANNER, Principal
from shared.db import UnitOfWork, driver_error
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import make_event
from shared.idempotency import IdempotentRequest
from shared.paging import Page, decode_cursor, page_of
from shared.units import region_of_use

__all__ = ["apply_asset_snapshot", "apply_contract"]  # read model, re-exported for callers

BOOKINGS_TOPIC = "booking.bookings"
ALTERNATIVES_SHOWN = 3


def _now() -> datetime:
    return datetime.now(UTC)


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


def _record(
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


# -- requesting -----------------------------------------------------------------------------
def _overlapping(
    session: Any,
    asset_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    exclude: uuid.UUID | None = None,
) -> list[Booking]:
    query = select(Booking).where(
        Booking.asset_id == asset_id,
        Booking.state.in_([s.value for s in ACTIVE_STATES]),
        Booking.during.op("&&")(func.tstzrange(start, end, "[)")),
    )
    if exclude is not None:
        query = query.where(Booking.id != exclude)
    return list(session.scalars(query.order_by(Booking.planned_start)))


def _peak_load(
    session: Any,
    asset_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    exclude: uuid.UUID | None = None,
) -> int:
    """Most units in use at any instant of [start, end) by active bookings of the asset."""
    rows = _overlapping(session, asset_id, start, end, exclude=exclude)
    # Load only rises at a start, so checking the window start and each booking start suffices.
    instants = [start] + [max(r.planned_start, start) for r in rows]
    return max(
        (sum(r.quantity for r in rows if r.planned_start <= t < r.planned_end) for t in instants),
        default=0,
    )


def _check_bookable(asset: Any, *, field: str = "asset_id") -> None:
    """Refuse an asset missing from the read model, not active, or ordered rather than booked."""
    if asset is None:
        raise Invalid("Unknown asset.", errors={field: ["No such asset in the catalog."]})
    if asset.status != "active":
        raise Invalid(
            f"Asset {asset.name} is {asset.status} and cannot be booked.",
            errors={field: [f"Asset is {asset.status}."]},
        )
    if asset.booking_mode == "quantity":
        raise Invalid(
            "Procurement items are ordered as call-offs (POST /orders), not booked.",
            errors={field: ["Not a bookable asset."]},
        )


def bookable_asset(session: Any, asset_id: uuid.UUID, *, field: str = "asset_id") -> AssetView:
    """The asset from the read model, locked: the lock serialises requests for one asset."""
    asset = session.get(AssetView, asset_id, with_for_update=True)
    _check_bookable(asset, field=field)
    return cast(AssetView, asset)


def _check_size_and_notice(
    asset: Any, start: datetime, quantity: int, *, priority: Priority, now: datetime
) -> None:
    if quantity > asset.capacity:
        raise Invalid(
            f"{asset.name} has capacity {asset.capacity}.",
            errors={"quantity": [f"Must be at most {asset.capacity}."]},
        )
    lead = (start - now).total_seconds()
    if priority is not Priority.ACUTE and lead < asset.notice_seconds:
        raise Invalid(
            f"{asset.name} needs {asset.readiness_notice} notice.",
            errors={"start": [f"Must be at least {asset.readiness_notice} from now."]},
        )


def _unpublished(asset: Any) -> Conflict:
    return Conflict(
        f"{asset.name} is not published as available for the whole window (outside the "
        "owner's availability, or blocked for Defence's own use).",
        errors={"start": ["Outside published availability."]},
    )


def _taken(asset: Any, holder: Any, viewer: Principal | None) -> Conflict:
    """The slot is taken by ``holder`` (a booking, or None when unknown). Its id is named
    only to a caller who may see that booking (``may_see``): to anyone else it says only
    that the slot is taken, so a refusal leaks no other unit's booking."""
    if holder is not None and viewer is not None and may_see(viewer, holder):
        return Conflict(
            f"{asset.name} is already booked in that window (booking {holder.id}).",
            conflicting_booking=str(holder.id),
        )
    return Conflict(f"{asset.name} is already booked in that window.")


def check_fits(
    session: Any,
    asset: AssetView,
    start: datetime,
    end: datetime,
    quantity: int,
    *,
    priority: Priority,
    now: datetime,
    viewer: Principal | None,
    exclude: uuid.UUID | None = None,
) -> list[Booking]:
    """Refuse a window the asset cannot take; returns slot conflicts an acute request may
    preempt (always empty for other priorities: those conflicts are refused here). The
    refusal names the booking that holds the slot only if ``viewer`` may see it."""
    _check_size_and_notice(asset, start, quantity, priority=priority, now=now)
    if not is_published(session, asset.asset_id, start, end):
        raise _unpublished(asset)
    if asset.booking_mode == "slot":
        clashes = _overlapping(session, asset.asset_id, start, end, exclude=exclude)
        if clashes and priority is not Priority.ACUTE:
            raise _taken(asset, clashes[0], viewer)
        return clashes
    free = asset.capacity - _peak_load(session, asset.asset_id, start, end, exclude=exclude)
    if quantity > free:
        raise Conflict(
            f"{asset.name} has {free} of {asset.capacity} units free in that window.",
            errors={"quantity": [f"Only {free} free in the window."]},
        )
    return []


def create_request(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_in: dict[str, Any],
    now: datetime,
    series_id: uuid.UUID | None = None,
) -> Booking:
    """Validate and insert one series occurrence (ORM, in the caller's savepoint)."""
    start, end = booking_in["start"], booking_in["end"]
    check_window(start, end, now=now)
    session = uow.session
    asset = bookable_asset(session, booking_in["asset_id"])
    priority = Priority(booking_in["priority"])
    quantity = booking_in.get("quantity", 1)
    clashes = check_fits(
        session, asset, start, end, quantity, priority=priority, now=now, viewer=principal
    )
    expires_at = expiry_deadline(requested_at=now, start=start, priority=priority)
    booking = Booking(
        id=uuid.uuid4(),
        asset_id=asset.asset_id,
        owner_org=asset.owner_org,
        requester_org=principal.org,
        requested_by=principal.sub,
        category=asset.category,
        holds_slot=asset.booking_mode == "slot" and not clashes,
        needs_preemption=bool(clashes),
        series_id=series_id,
        planned_start=start,
        planned_end=end,
        quantity=quantity,
        priority=int(priority),
        legal_basis=LegalBasis(booking_in["legal_basis"]).value,
        purpose=booking_in["purpose"],
        purpose_class=PurposeClass(booking_in.get("purpose_class", PurposeClass.OTHER)).value,
        contact=booking_in["contact"],
        state=State.REQUESTED.value,
        tariff=tariff_at(asset.tariffs, start),
        expires_at=expires_at,
        created_at=now,
        version=1,
        region=booking_in.get("region"),
        decide_by=decision_deadline(
            requested_at=now,
            priority=priority,
            decision_minutes=decision_minutes(session, asset.category),
        ),
    )
    try:
        # Added inside the savepoint so a refused insert leaves nothing pending to re-flush.
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError as exc:  # the exclusion constraint caught a concurrent request
        other = _overlapping(session, asset.asset_id, start, end)
        raise _taken(asset, other[0] if other else None, principal) from exc
    extra = {"conflicts_with": [str(c.id) for c in clashes]} if clashes else {}
    _record(uow, booking, "request", None, principal, None, event="booking.requested", **extra)
    return booking


# A single request is the hot path (docs/benchmarks.md): three statements instead of ~11,
# written once here and executed with parameters through the driver, no ORM objects.
# (1) _REQUEST_FACTS reads the asset, whether its published availability covers the window,
# the active bookings it overlaps and the idempotency key's first answer; (2) _INSERT_REQUEST
# writes the booking, its audit row, its outbox event and the idempotency record in one
# statement; (3) COMMIT.
_ACTIVE_SQL = "(" + ", ".join(f"'{s.value}'" for s in ACTIVE_STATES) + ")"

_PUBLISHED = PUBLISHED_CONDITION.format(start="%(start)s", end="%(end)s")
_REQUEST_FACTS = f"""
    SELECT a.asset_id, a.owner_org, a.name, a.category, a.booking_mode, a.capacity,
           a.readiness_notice, a.notice_seconds, a.status, a.tariffs,
           EXISTS (SELECT 1 FROM asset_windows w
                   WHERE w.asset_id = a.asset_id AND {_PUBLISHED}) AS published,
           ARRAY(SELECT ARRAY[b.id::text, b.requester_org, b.owner_org] FROM bookings b
                 WHERE b.asset_id = a.asset_id AND b.state IN {_ACTIVE_SQL}
                   AND b.during && tstzrange(%(start)s, %(end)s, '[)')
                 ORDER BY b.planned_start) AS clashes,
           k.request_hash, k.response_body, d.decision_minutes
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN asset_view a ON a.asset_id = %(asset_id)s
    LEFT JOIN idempotency_keys k ON k.actor = %(actor)s AND k.key = %(key)s
    LEFT JOIN category_decision_times d ON d.category = a.category
    """

# Data-modifying CTEs: one round trip, and a refusal by the exclusion constraint (or by the
# idempotency key's primary key) aborts all four inserts at once, so no savepoint is needed.
_INSERT_REQUEST = """
    WITH booking AS (
        INSERT INTO bookings (id, asset_id, owner_org, requester_org, requested_by, category,
                              holds_slot, needs_preemption, planned_start, planned_end,
                              quantity, priority, legal_basis, purpose, purpose_class, contact,
                              state, tariff, expires_at, created_at, version, region, decide_by)
        VALUES (%(id)s, %(asset_id)s, %(owner_org)s, %(requester_org)s, %(requested_by)s,
                %(category)s, %(holds_slot)s, %(needs_preemption)s, %(start)s, %(end)s,
                %(quantity)s, %(priority)s, %(legal_basis)s, %(purpose)s, %(purpose_class)s,
                %(contact)s,
                'requested', CAST(%(tariff)s AS jsonb), %(expires_at)s, %(created_at)s, 1,
                %(region)s, %(decide_by)s)
        RETURNING id
    ), audit AS (
        INSERT INTO booking_transitions (booking_id, action, from_state, to_state, actor,
                                         actor_org, reason)
        SELECT id, 'request', NULL, 'requested', %(requested_by)s, %(requester_org)s, NULL
        FROM booking
    ), event AS (
        INSERT INTO outbox (event_id, topic, aggregate_type, aggregate_id, event_type, payload,
                            occurred_at)
        SELECT %(event_id)s, %(topic)s, 'booking', CAST(id AS text), 'booking.requested',
               CAST(%(payload)s AS jsonb), %(occurred_at)s
        FROM booking
    ), claim AS (
        INSERT INTO idempotency_keys (actor, key, request_hash, status_code, response_body)
        SELECT %(requested_by)s, %(key)s, %(request_hash)s, 201, CAST(%(response)s AS jsonb)
        FROM booking WHERE CAST(%(key)s AS text) IS NOT NULL
    )
    SELECT id FROM booking
    """


def _execute(session: Any, sql: str, params: dict[str, Any], *, commit: bool = False) -> Any:
    """Run ``sql`` on the session's connection through the driver, in pipeline mode.

    SQLAlchemy's per-execution work (parameter processing, result metadata) cost more than
    the statement (docs/benchmarks.md); pipeline mode sends the transaction's implicit BEGIN,
    or with ``commit`` the COMMIT, together with the statement: one round trip, not two.
    ``commit`` is for the use case's last statement only (the unit of work's own commit then
    finds nothing left to do). Driver errors are raised as SQLAlchemy's (IntegrityError,
    DataError, ...), so callers and the app's error handlers treat them as before.
    """
    if commit and session.in_nested_transaction():
        # Committing on the driver would end the owner's whole transaction behind its back.
        raise RuntimeError("a booking request commits its own transaction, not a savepoint")
    connection = session.connection()
    driver = connection.connection.driver_connection
    cursor = driver.cursor(row_factory=namedtuple_row)
    try:
        with driver.pipeline():
            cursor.execute(sql, params)
            if commit:
                driver.commit()
    except psycopg.Error as exc:
        raise driver_error(connection, sql, params, exc) from exc
    return cursor


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
    booking_in: dict[str, Any],
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
                    booking_in=booking_in,
                    idempotency=idempotency,
                    now=now or _now(),
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


def _request_once(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_in: dict[str, Any],
    idempotency: IdempotentRequest | None,
    now: datetime,
) -> dict[str, Any]:
    start, end = booking_in["start"], booking_in["end"]
    try:
        if not principal.has_role(PLANNER):
            raise Forbidden("Only a police planner (politie-planner) requests bookings.")
        check_window(start, end, now=now)
    except (Forbidden, Invalid):
        # A repeated key gets its first answer before anything is judged, as a retry must.
        if idempotency is not None and (prior := idempotency.stored(uow)) is not None:
            return prior
        raise
    session = uow.session
    facts = _execute(
        session,
        _REQUEST_FACTS,
        {
            "asset_id": booking_in["asset_id"],
            "start": start,
            "end": end,
            "actor": idempotency.actor if idempotency else None,
            "key": idempotency.key if idempotency else None,
        },
    ).fetchone()
    if idempotency is not None and facts.request_hash is not None:
        return idempotency.replay(facts.request_hash, facts.response_body)
    _check_bookable(facts if facts.asset_id is not None else None)
    priority = Priority(booking_in["priority"])
    quantity = booking_in.get("quantity", 1)
    asset: Any = facts
    clashes: list[str] = []
    if facts.booking_mode == "slot":
        # No row lock: the exclusion constraint is what refuses a concurrent double booking.
        _check_size_and_notice(facts, start, quantity, priority=priority, now=now)
        if not facts.published:
            raise _unpublished(facts)
        holders = [Holder(*c) for c in facts.clashes]  # [id, requester_org, owner_org]
        clashes = [h.id for h in holders]
        if clashes and priority is not Priority.ACUTE:
            raise _taken(facts, holders[0], principal)
    else:
        # Capacity: lock the asset, then sum the load in a statement of its own; a statement
        # that began before the lock was granted would not see the request that held it.
        asset = bookable_asset(session, facts.asset_id)
        # The lock may have waited for a request with the same key: its answer is now
        # committed and visible, and a retry must get it (or 422), not a 409 for lack of room.
        if idempotency is not None and (prior := idempotency.stored(uow)) is not None:
            return prior
        check_fits(
            session, asset, start, end, quantity, priority=priority, now=now, viewer=principal
        )
    booking_id = str(uuid.uuid4())
    tariff = tariff_at(asset.tariffs, start)
    expires_at = expiry_deadline(requested_at=now, start=start, priority=priority)
    decide_by = decision_deadline(
        requested_at=now, priority=priority, decision_minutes=facts.decision_minutes
    )
    row = {
        "id": booking_id,
        "asset_id": str(asset.asset_id),
        "owner_org": asset.owner_org,
        "requester_org": principal.org,
        "category": asset.category,
        "state": State.REQUESTED.value,
        "planned_start": start.isoformat(),
        "planned_end": end.isoformat(),
        "quantity": quantity,
        "priority": int(priority),
        "legal_basis": LegalBasis(booking_in["legal_basis"]).value,
        "purpose": booking_in["purpose"],
        "purpose_class": PurposeClass(booking_in.get("purpose_class", PurposeClass.OTHER)).value,
        "contact": booking_in["contact"],
    }
    body = {  # what BookingRead dumps for this booking (tests/integration compare them)
        **row,
        "expires_at": expires_at.isoformat(),
        "actual_start": None,
        "actual_end": None,
        "usage_quantity": None,
        "tariff": tariff,
        "version": 1,
        "created_at": now.isoformat(),
        "decided_at": None,
        "needs_preemption": bool(clashes),
        "series_id": None,
        "counter_asset_id": None,
        "counter_start": None,
        "counter_end": None,
        "preempted_by": None,
        "alternatives": None,
        **_crisis_fields(booking_in.get("region"), decide_by),
        "region_of_use": region_of_use(booking_in.get("region"), principal.org),
    }
    data = {  # booking_data() of this booking
        "booking_id": booking_id,
        **{k: row[k] for k in _EVENT_FIELDS},
        "actual_start": None,
        "actual_end": None,
        "usage_quantity": None,
        "tariff": tariff,
        "requested_at": body["created_at"],
        "decided_at": None,
        "version": 1,
        "series_id": None,
        "reason": None,
        **_crisis_fields(booking_in.get("region"), decide_by),
    }
    if clashes:
        data["conflicts_with"] = clashes
    event = make_event(
        event_type="booking.requested",
        producer=uow.producer,
        aggregate_id=booking_id,
        data=data,
        actor=uow.actor,
        trace_id=uow.trace_id,
    )
    _execute(
        session,
        _INSERT_REQUEST,
        {
            "id": booking_id,
            "asset_id": asset.asset_id,
            "owner_org": asset.owner_org,
            "requester_org": principal.org,
            "requested_by": principal.sub,
            "category": asset.category,
            "holds_slot": asset.booking_mode == "slot" and not clashes,
            "needs_preemption": bool(clashes),
            "start": start,
            "end": end,
            "quantity": quantity,
            "priority": int(priority),
            "legal_basis": row["legal_basis"],
            "purpose": row["purpose"],
            "purpose_class": row["purpose_class"],
            "contact": row["contact"],
            "tariff": json.dumps(tariff),
            "expires_at": expires_at,
            "created_at": now,
            "region": booking_in.get("region"),
            "decide_by": decide_by,
            "event_id": event["id"],
            "topic": uow.topic_for(BOOKINGS_TOPIC),
            "payload": json.dumps(event),
            "occurred_at": event["occurred_at"],
            "key": idempotency.key if idempotency else None,
            "request_hash": idempotency.fingerprint if idempotency else None,
            "response": json.dumps(body),
        },
        commit=True,  # the last statement: committing with it saves a round trip
    )
    uow.events.append(event)
    return body


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


def decision_minutes(session: Any, category: str) -> int | None:
    """The category's decision time as an administrator set it (None: the domain default)."""
    row = session.get(CategoryDecisionTime, category)
    return row.decision_minutes if row is not None else None


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


# -- reading ------------------------------------------------------------------------------------
def get_booking(
    uow: UnitOfWork, *, principal: Principal, booking_id: uuid.UUID, for_update: bool = False
) -> Booking:
    """A booking the caller may see; another organisation's booking does not exist for them."""
    query = select(Booking).where(Booking.id == booking_id).where(visible(principal))
    if for_update:
        query = query.with_for_update()
    booking = uow.session.scalar(query)
    if booking is None:
        raise NotFound(f"Booking {booking_id} does not exist.")
    return booking


def list_bookings(
    uow: UnitOfWork,
    *,
    principal: Principal,
    state: State | None = None,
    asset_id: uuid.UUID | None = None,
    organisation: str | None = None,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Any]:
    """A page of the bookings the caller may see, by planned start (then id)."""
    query = select(Booking).where(visible(principal))
    if state is not None:
        query = query.where(Booking.state == state.value)
    if asset_id is not None:
        query = query.where(Booking.asset_id == asset_id)
    if organisation is not None:
        query = query.where(
            or_(Booking.requester_org == organisation, Booking.owner_org == organisation)
        )
    if period_start is not None:
        query = query.where(Booking.planned_end > period_start)
    if period_end is not None:
        query = query.where(Booking.planned_start < period_end)
    if cursor:
        after = decode_cursor(cursor, datetime, uuid.UUID)
        query = query.where(tuple_(Booking.planned_start, Booking.id) > tuple_(*after))
    query = query.order_by(Booking.planned_start, Booking.id).limit(limit + 1)
    page = page_of(
        uow.session.scalars(query).all(), limit=limit, key=lambda b: (b.planned_start, b.id)
    )
    return Page(seen_by(uow, principal, page.items), page.next_cursor)


# The reason recorded when a preemption approves the acute request; it names the displaced
# booking, which only those who may see it read (history).
PREEMPTING_REASON = "approved by preempting booking {}"
PREEMPTING_HIDDEN = "approved by preempting another unit's booking"


def history(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[Any]:
    """A page of the booking's audit trail, oldest first."""
    get_booking(uow, principal=principal, booking_id=booking_id)
    query = select(BookingTransition).where(BookingTransition.booking_id == booking_id)
    if cursor:
        (after,) = decode_cursor(cursor, int)
        query = query.where(BookingTransition.id > after)
    rows = uow.session.scalars(query.order_by(BookingTransition.id).limit(limit + 1)).all()
    page = page_of(rows, limit=limit, key=lambda t: (t.id,))
    named = {t.id: displaced for t in page.items if (displaced := _displaced_named(t))}
    if not named:
        return page
    seen = visible_ids(uow, principal, named.values())
    hidden = {"reason": PREEMPTING_HIDDEN}
    items = [
        Seen(t, hidden) if t.id in named and named[t.id] not in seen else t for t in page.items
    ]
    return Page(items, page.next_cursor)


def _displaced_named(transition: BookingTransition) -> uuid.UUID | None:
    """The displaced booking a preemption's approval of the acute request names, if any."""
    prefix = PREEMPTING_REASON.format("")
    reason = transition.reason or ""
    if transition.action != Action.APPROVE.value or not reason.startswith(prefix):
        return None
    try:
        return uuid.UUID(reason.removeprefix(prefix))
    except ValueError:
        return None


# An undecided request without a decision clock sorts after every clock (NULLS LAST), as
# this moment: a cursor needs a value to compare, and no clock runs to the year 9999.
_NO_CLOCK = datetime.max.replace(tzinfo=UTC)


def pending_approvals(
    uow: UnitOfWork, *, principal: Principal, cursor: str | None = None, limit: int = 200
) -> dict[str, Any]:
    """The owner's queue: undecided requests for its assets, most urgent first, with counts:
    ``{counts, items, next_cursor}``."""
    if not principal.has_role(OWNER):
        raise Forbidden("The approval queue is for asset owners (defensie-beheerder).")
    waiting = (Booking.owner_org == principal.org, Booking.state == State.REQUESTED.value)
    clock = func.coalesce(Booking.decide_by, _NO_CLOCK)
    # Acute first, the nearest decision clock first (only acute requests have one).
    order = (Booking.priority, clock, Booking.expires_at, Booking.id)
    query = select(Booking).where(*waiting)
    if cursor:
        query = query.where(
            tuple_(*order) > tuple_(*decode_cursor(cursor, int, datetime, datetime, uuid.UUID))
        )
    rows = uow.session.scalars(query.order_by(*order).limit(limit + 1)).all()
    page = page_of(
        rows,
        limit=limit,
        key=lambda b: (b.priority, b.decide_by or _NO_CLOCK, b.expires_at, b.id),
    )
    counts: dict[str, int] = {
        "total": 0,
        "priority_1": 0,
        "priority_2": 0,
        "priority_3": 0,
        "needs_preemption": 0,
    }
    for row in uow.session.execute(
        select(Booking.priority, Booking.needs_preemption, func.count())
        .where(*waiting)
        .group_by(Booking.priority, Booking.needs_preemption)
    ):
        counts["total"] += row[2]
        counts[f"priority_{row[0]}"] += row[2]
        if row[1]:
            counts["needs_preemption"] += row[2]
    items = seen_by(uow, principal, page.items)
    return {"counts": counts, "items": items, "next_cursor": page.next_cursor}


# -- transitions --------------------------------------------------------------------------------
def _check_party(principal: Principal, booking: Booking, action: Action) -> None:
    party = ACTOR_OF[action]
    if party is Party.OWNER and not (
        principal.has_role(OWNER) and principal.org == booking.owner_org
    ):
        raise Forbidden(f"Only the asset owner ({booking.owner_org}) may {action.value} it.")
    if party is Party.REQUESTER and not (
        principal.has_role(PLANNER) and principal.org == booking.requester_org
    ):
        raise Forbidden(
            f"Only the requesting unit ({booking.requester_org}) may {action.value} it."
        )


def transition(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_id: uuid.UUID,
    action: Action,
    reason: str | None = None,
    actual_start: datetime | None = None,
    actual_end: datetime | None = None,
    usage_quantity: Decimal | None = None,
    asset_id: uuid.UUID | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by_booking_id: uuid.UUID | None = None,
    hold_minutes: int = DEFAULT_HOLD_MINUTES,
    now: datetime | None = None,
) -> Booking:
    """Move a booking through its lifecycle, recorded with actor, time and reason.
    ``hold_minutes``: how long a preemption holds the best alternative for the displaced unit."""
    now = now or _now()
    booking = get_booking(uow, principal=principal, booking_id=booking_id, for_update=True)
    _check_party(principal, booking, action)
    current = State(booking.state)
    target = next_state(current, action)
    if action in REASON_REQUIRED and not reason:
        raise Invalid(f"To {action.value} needs a reason.", errors={"reason": ["Required."]})
    extra: dict[str, Any] = {}
    session = uow.session
    if action in (Action.APPROVE, Action.ACCEPT_COUNTER_OFFER) and booking.expires_at <= now:
        raise Conflict(
            f"The request lapsed at {booking.expires_at.isoformat()} without a decision.",
            current_state="expired",
        )
    if action is Action.CONFIRM_HOLD:
        _confirm_hold(booking, now)
    if action in (Action.APPROVE, Action.START, Action.CONFIRM_HOLD):
        # Catalog may retire an asset while requests for it wait (its check reads booking's
        # events, which may lag): what it retired is not approved or used any more.
        asset_now = session.get(AssetView, booking.asset_id)
        if asset_now is not None and asset_now.status == "retired":
            raise Conflict(
                f"Asset {asset_now.name} has been retired: reject the request, or counter-offer "
                "another asset.",
                current_state=current.value,
                asset_status="retired",
            )
    if action is Action.APPROVE and booking.needs_preemption:
        clashes = _overlapping(
            session,
            booking.asset_id,
            booking.planned_start,
            booking.planned_end,
            exclude=booking.id,
        )
        if clashes:  # named: only the asset's owner approves, and it sees every booking of it
            raise Conflict(
                "This acute request overlaps other bookings: preempt them "
                "(POST /bookings/{id}/preempt with by_booking_id) to approve it.",
                current_state=current.value,
                conflicting_bookings=[str(c.id) for c in clashes],
            )
        booking.holds_slot, booking.needs_preemption = True, False
    if action is Action.COMPLETE:
        if actual_start is None or actual_end is None:
            raise Invalid(
                "Completing needs the actual start and end.",
                errors={"actual_start": ["Required."], "actual_end": ["Required."]},
            )
        booking.usage_quantity = reported_usage(
            actual_start, actual_end, usage_quantity, planned_start=booking.planned_start, now=now
        )
        booking.actual_start, booking.actual_end = actual_start, actual_end
    elif action is Action.START:
        booking.actual_start = now
    elif action is Action.CANCEL:
        extra["hours_before_start"] = round((booking.planned_start - now).total_seconds() / 3600, 2)
        # Cost-sharing charges a late cancellation only of what was promised (approved).
        extra["cancelled_from"] = current.value
    elif action is Action.COUNTER_OFFER:
        extra["counter_offer"] = _counter_offer(uow, principal, booking, asset_id, start, end, now)
    elif action is Action.ACCEPT_COUNTER_OFFER:
        _accept_counter_offer(uow, principal, booking, now)
    elif action is Action.PREEMPT:
        extra.update(_preempt(uow, principal, booking, by_booking_id, now, reason, hold_minutes))
    if action in (Action.APPROVE, Action.REJECT, Action.COUNTER_OFFER):
        booking.decided_at = now
    booking.state = target.value
    booking.version += 1
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("The new window overlaps another booking of the asset.") from exc
    _record(uow, booking, action.value, current, principal, reason, event=EVENT_OF[action], **extra)
    return booking


def _confirm_hold(booking: Booking, now: datetime) -> None:
    """A hold the unit confirms becomes its request: the request (and the owner's clock for
    deciding it) starts now, not when the hold was placed."""
    assert booking.hold_expires_at is not None
    if booking.hold_expires_at <= now:
        raise Conflict(
            f"The hold lapsed at {booking.hold_expires_at.isoformat()}.",
            current_state="expired",
        )
    priority = Priority(booking.priority)
    booking.created_at = now
    booking.expires_at = expiry_deadline(
        requested_at=now, start=booking.planned_start, priority=priority
    )


def _counter_offer(
    uow: UnitOfWork,
    principal: Principal,
    booking: Booking,
    asset_id: uuid.UUID | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """The owner proposes another window and/or asset; it must itself be free."""
    new_asset_id = asset_id or booking.asset_id
    new_start, new_end = start or booking.planned_start, end or booking.planned_end
    if (new_asset_id, new_start, new_end) == (
        booking.asset_id,
        booking.planned_start,
        booking.planned_end,
    ):
        raise Invalid(
            "A counter-offer proposes another window or asset.",
            errors={"start": ["Same as the request."]},
        )
    check_window(new_start, new_end, now=now)
    asset = bookable_asset(uow.session, new_asset_id)
    if asset.owner_org != booking.owner_org:
        raise Invalid(
            "You can only offer your own assets.", errors={"asset_id": ["Not your asset."]}
        )
    check_fits(
        uow.session,
        asset,
        new_start,
        new_end,
        booking.quantity,
        priority=Priority.PLANNED_OPERATION,
        now=now,
        viewer=principal,
        exclude=booking.id,
    )
    booking.counter_asset_id, booking.counter_start, booking.counter_end = (
        new_asset_id,
        new_start,
        new_end,
    )
    return {
        "asset_id": str(new_asset_id),
        "start": new_start.isoformat(),
        "end": new_end.isoformat(),
    }


def _accept_counter_offer(
    uow: UnitOfWork, principal: Principal, booking: Booking, now: datetime
) -> None:
    """The requester accepts: the booking moves to the offered window/asset, approved."""
    assert booking.counter_start and booking.counter_end and booking.counter_asset_id
    asset = bookable_asset(uow.session, booking.counter_asset_id)
    check_fits(
        uow.session,
        asset,
        booking.counter_start,
        booking.counter_end,
        booking.quantity,
        priority=Priority.PLANNED_OPERATION,
        now=now,
        viewer=principal,
        exclude=booking.id,
    )
    booking.asset_id, booking.category = asset.asset_id, asset.category
    booking.planned_start, booking.planned_end = booking.counter_start, booking.counter_end
    booking.holds_slot = asset.booking_mode == "slot"
    # The offered window was judged free for it: nothing is left to preempt.
    booking.needs_preemption = False
    booking.tariff = tariff_at(asset.tariffs, booking.planned_start)


def _preempt(
    uow: UnitOfWork,
    principal: Principal,
    displaced: Booking,
    by_booking_id: uuid.UUID | None,
    now: datetime,
    reason: str | None,
    hold_minutes: int,
) -> dict[str, Any]:
    """Displace an approved booking for an acute request of the same asset, which is approved
    in the same transaction; the displaced unit is told why, offered free alternatives, and
    the best of them is held for it (services/booking/crisis.py)."""
    from services.booking import crisis  # crisis builds on this module's use cases

    if by_booking_id is None:
        raise Invalid(
            "Name the acute request that displaces this booking.",
            errors={"by_booking_id": ["Required."]},
        )
    acute = get_booking(uow, principal=principal, booking_id=by_booking_id, for_update=True)
    if acute.asset_id != displaced.asset_id:
        raise Conflict("The acute request is for another asset.")
    if not (
        acute.planned_start < displaced.planned_end and displaced.planned_start < acute.planned_end
    ):
        raise Conflict("The acute request does not overlap this booking.")
    check_preemption(
        displaced_priority=displaced.priority,
        displacing_priority=acute.priority,
        displaced_state=State(displaced.state),
    )
    if acute.state != State.REQUESTED.value:
        raise Conflict(
            f"The acute request is {acute.state}, not requested.", current_state=acute.state
        )
    if acute.expires_at <= now:  # as approve refuses it: the sweep has not got to it yet
        raise Conflict(
            f"The acute request lapsed at {acute.expires_at.isoformat()} without a decision.",
            current_state="expired",
        )
    # The nearest alternatives: those serving the displaced asset's own regions rank first.
    displaced_asset = uow.session.get(AssetView, displaced.asset_id)
    regions = displaced_asset.regions if displaced_asset is not None else []
    alternatives = find_free(
        uow.session,
        start=displaced.planned_start,
        end=displaced.planned_end,
        quantity=displaced.quantity,
        category=displaced.category,
        region=regions[0] if regions else None,
        exclude_asset=displaced.asset_id,
        now=now,
        limit=ALTERNATIVES_SHOWN,
    )
    displaced.preempted_by = acute.id
    displaced.alternatives = alternatives
    displaced.holds_slot = False
    uow.session.flush()
    # Approve the acute request now that its window is free (other clashes still refuse it).
    still_clashing = [
        b
        for b in _overlapping(
            uow.session, acute.asset_id, acute.planned_start, acute.planned_end, exclude=acute.id
        )
        if b.id != displaced.id and b.holds_slot
    ]
    if not still_clashing:
        previous = State(acute.state)
        acute.holds_slot, acute.needs_preemption = True, False
        acute.state, acute.decided_at = State.APPROVED.value, now
        acute.version += 1
        uow.session.flush()
        _record(
            uow,
            acute,
            Action.APPROVE.value,
            previous,
            principal,
            PREEMPTING_REASON.format(displaced.id),
            event="booking.approved",
        )
    hold = crisis.place_hold(uow, displaced, alternatives, now=now, minutes=hold_minutes)
    return {
        "preempted_by": str(acute.id),
        "alternatives": alternatives,
        "charge_displaced": False,
        "hold_booking_id": str(hold.id) if hold is not None else None,
    }


def expire_overdue(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 500) -> int:
    """Worker sweep: undecided requests and unconfirmed holds past their deadline lapse (and
    free their capacity)."""
    now = now or _now()
    lapsing = (State.REQUESTED, State.COUNTER_OFFERED, State.HELD)
    overdue = uow.session.scalars(
        select(Booking)
        .where(
            Booking.state.in_([s.value for s in lapsing]),
            Booking.expires_at <= now,
        )
        .order_by(Booking.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for booking in overdue:
        current = State(booking.state)
        booking.state = next_state(current, Action.EXPIRE).value
        booking.version += 1
        _record(
            uow,
            booking,
            Action.EXPIRE.value,
            current,
            None,
            "not confirmed in time" if current is State.HELD else "not decided in time",
            event=expiry_event(current),
        )
    return len(overdue)
