"""Booking use cases; each runs in one unit of work that also writes its events."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from services.booking.domain import (
    ACTIVE_STATES,
    ACTOR_OF,
    Action,
    LegalBasis,
    Party,
    Priority,
    State,
    check_window,
    expiry_deadline,
    next_state,
    usage_hours,
)
from services.booking.models import AssetView, Booking, BookingTransition, ContractView
from shared.auth import FINANCE, OWNER, PLANNER, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid, NotFound

BOOKINGS_TOPIC = "booking.bookings"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def _now() -> datetime:
    return datetime.now(UTC)


def parse_notice(value: str) -> timedelta:
    match = _DURATION.match(value or "")
    if not match:
        return timedelta(0)
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def tariff_at(tariffs: list[dict[str, Any]], moment: datetime) -> dict[str, Any] | None:
    """The tariff whose validity period contains ``moment`` (dates are half-open)."""
    day = moment.astimezone(UTC).date().isoformat()
    for tariff in tariffs:
        if tariff["valid_from"] <= day and (tariff["valid_to"] is None or day < tariff["valid_to"]):
            return tariff
    return None


def booking_data(booking: Booking, **extra: Any) -> dict[str, Any]:
    """The booking as every booking.* event carries it: enough for cost-sharing not to call back."""
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
        "quantity": booking.quantity,
        "planned_start": booking.planned_start.isoformat(),
        "planned_end": booking.planned_end.isoformat(),
        "actual_start": booking.actual_start.isoformat() if booking.actual_start else None,
        "actual_end": booking.actual_end.isoformat() if booking.actual_end else None,
        "usage_quantity": str(booking.usage_quantity)
        if booking.usage_quantity is not None
        else None,
        "tariff": booking.tariff,
        "requested_at": booking.created_at.isoformat(),
        "decided_at": booking.decided_at.isoformat() if booking.decided_at else None,
        "version": booking.version,
    }
    data.update(extra)
    return data


# -- read model ---------------------------------------------------------------------------
def apply_asset_snapshot(uow_session: Any, data: dict[str, Any]) -> None:
    """Upsert the asset read model from a catalog event; older versions never overwrite newer."""
    asset_id = uuid.UUID(data["asset_id"])
    view = uow_session.get(AssetView, asset_id, with_for_update=True)
    if view is not None and view.version > data["version"]:
        return
    if view is None:
        view = AssetView(asset_id=asset_id)
        uow_session.add(view)
    view.owner_org = data["owner_org"]
    view.name = data["name"]
    view.category = data["category"]
    view.booking_mode = data["booking_mode"]
    view.regions = data["regions"]
    view.capacity = data["capacity"]
    view.readiness_notice = data["readiness_notice"]
    view.status = data["status"]
    view.tariffs = data["tariffs"]
    view.home_base = data.get("home_base", "")
    view.availability = data.get("availability", [])
    view.blackouts = data.get("blackouts", [])
    view.version = data["version"]
    view.updated_at = _now()


def apply_contract(session: Any, data: dict[str, Any]) -> None:
    """Keep a framework contract in the read model; remaining volume starts at the total."""
    contract_id = uuid.UUID(data["contract_id"])
    view = session.get(ContractView, contract_id, with_for_update=True)
    if view is None:
        view = ContractView(contract_id=contract_id, remaining_volume=data["total_volume"])
        session.add(view)
    view.owner_org = data["owner_org"]
    view.reference = data["reference"]
    view.supplier = data["supplier"]
    view.valid_from = date.fromisoformat(data["valid_from"])
    view.valid_to = date.fromisoformat(data["valid_to"])
    view.total_volume = data["total_volume"]
    view.item_ids = data["item_ids"]
    view.tiers = data["tiers"]


# -- requesting -----------------------------------------------------------------------------
def _conflicting_booking(session: Any, asset_id: uuid.UUID, start: datetime, end: datetime) -> Any:
    return session.scalar(
        select(Booking.id)
        .where(
            Booking.asset_id == asset_id,
            Booking.state.in_([s.value for s in ACTIVE_STATES]),
            Booking.during.op("&&")(func.tstzrange(start, end, "[)")),
        )
        .limit(1)
    )


def request_booking(
    uow: UnitOfWork,
    *,
    principal: Principal,
    booking_in: dict[str, Any],
    now: datetime | None = None,
) -> Booking:
    """A police planner requests an asset for a window; the request holds capacity at once."""
    if not principal.has_role(PLANNER):
        raise Forbidden("Only a police planner (politie-planner) requests bookings.")
    now = now or _now()
    start, end = booking_in["start"], booking_in["end"]
    check_window(start, end, now=now)
    session = uow.session
    asset = session.get(AssetView, booking_in["asset_id"], with_for_update=True)
    if asset is None:
        raise Invalid("Unknown asset.", errors={"asset_id": ["No such asset in the catalog."]})
    if asset.status != "active":
        raise Invalid(
            f"Asset {asset.name} is {asset.status} and cannot be booked.",
            errors={"asset_id": [f"Asset is {asset.status}."]},
        )
    if asset.booking_mode == "quantity":
        raise Invalid(
            "Procurement items are ordered as call-offs, not booked.",
            errors={"asset_id": ["Not a bookable asset."]},
        )
    quantity = booking_in["quantity"]
    if quantity > asset.capacity:
        raise Invalid(
            f"{asset.name} has capacity {asset.capacity}.",
            errors={"quantity": [f"Must be at most {asset.capacity}."]},
        )
    priority = Priority(booking_in["priority"])
    notice = parse_notice(asset.readiness_notice)
    if priority is not Priority.ACUTE and start < now + notice:
        raise Invalid(
            f"{asset.name} needs {asset.readiness_notice} notice.",
            errors={"start": [f"Must be at least {asset.readiness_notice} from now."]},
        )
    is_slot = asset.booking_mode == "slot"
    if not is_slot:
        # Capacity assets: the asset row lock above serialises requests for this asset.
        free = asset.capacity - _peak_load(session, asset.asset_id, start, end)
        if quantity > free:
            raise Conflict(
                f"{asset.name} has {free} of {asset.capacity} units free in that window.",
                errors={"quantity": [f"Only {free} free in the window."]},
            )
    booking = Booking(
        id=uuid.uuid4(),
        asset_id=asset.asset_id,
        owner_org=asset.owner_org,
        requester_org=principal.org,
        requested_by=principal.sub,
        category=asset.category,
        is_slot=is_slot,
        planned_start=start,
        planned_end=end,
        quantity=quantity,
        priority=int(priority),
        legal_basis=LegalBasis(booking_in["legal_basis"]).value,
        purpose=booking_in["purpose"],
        contact=booking_in["contact"],
        state=State.REQUESTED.value,
        tariff=tariff_at(asset.tariffs, start),
        expires_at=expiry_deadline(requested_at=now, start=start, priority=priority),
        created_at=now,
        version=1,
    )
    try:
        # Added inside the savepoint so a refused insert leaves nothing pending to re-flush.
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError as exc:
        other = _conflicting_booking(session, asset.asset_id, start, end)
        raise Conflict(
            f"{asset.name} is already booked in that window (booking {other}).",
            conflicting_booking=str(other) if other else None,
        ) from exc
    _record(uow, booking, "request", None, principal, None, event="booking.requested")
    return booking


def _peak_load(session: Any, asset_id: uuid.UUID, start: datetime, end: datetime) -> int:
    """Most units in use at any instant of [start, end) by active bookings of the asset."""
    rows = session.execute(
        select(Booking.planned_start, Booking.planned_end, Booking.quantity).where(
            Booking.asset_id == asset_id,
            Booking.state.in_([s.value for s in ACTIVE_STATES]),
            Booking.during.op("&&")(func.tstzrange(start, end, "[)")),
        )
    ).all()
    # Load only rises at a start, so checking the window start and each booking start suffices.
    instants = [start] + [max(r.planned_start, start) for r in rows]
    return max(
        (sum(r.quantity for r in rows if r.planned_start <= t < r.planned_end) for t in instants),
        default=0,
    )


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


# -- reading ------------------------------------------------------------------------------------
def _visible(principal: Principal) -> Any:
    """Which bookings a caller may see: own unit's, own assets', or all for finance/joint."""
    if principal.is_joint or principal.has_role(FINANCE):
        return True
    clauses = []
    if principal.has_role(PLANNER):
        clauses.append(Booking.requester_org == principal.org)
    if principal.has_role(OWNER):
        clauses.append(Booking.owner_org == principal.org)
    return or_(*clauses) if clauses else False


def get_booking(
    uow: UnitOfWork, *, principal: Principal, booking_id: uuid.UUID, for_update: bool = False
) -> Booking:
    """A booking the caller may see; another organisation's booking does not exist for them."""
    query = select(Booking).where(Booking.id == booking_id).where(_visible(principal))
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
    limit: int = 50,
    offset: int = 0,
) -> Sequence[Booking]:
    query = select(Booking).where(_visible(principal))
    if state is not None:
        query = query.where(Booking.state == state.value)
    if asset_id is not None:
        query = query.where(Booking.asset_id == asset_id)
    query = query.order_by(Booking.planned_start, Booking.id).limit(limit).offset(offset)
    return uow.session.scalars(query).all()


def history(uow: UnitOfWork, *, principal: Principal, booking_id: uuid.UUID) -> Sequence[Any]:
    get_booking(uow, principal=principal, booking_id=booking_id)
    return uow.session.scalars(
        select(BookingTransition)
        .where(BookingTransition.booking_id == booking_id)
        .order_by(BookingTransition.id)
    ).all()


def can_see_purpose(principal: Principal, booking: Booking) -> bool:
    """A police unit never sees another unit's purpose; the asset's owner and joint roles do."""
    return principal.org in (booking.requester_org, booking.owner_org) or principal.is_joint


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
    now: datetime | None = None,
) -> Booking:
    """Move a booking through its lifecycle, recorded with actor, time and reason."""
    now = now or _now()
    booking = get_booking(uow, principal=principal, booking_id=booking_id, for_update=True)
    _check_party(principal, booking, action)
    current = State(booking.state)
    target = next_state(current, action)
    if action is Action.REJECT and not reason:
        raise Invalid("A rejection needs a reason.", errors={"reason": ["Required."]})
    if action is Action.CANCEL and not reason:
        raise Invalid("A cancellation needs a reason.", errors={"reason": ["Required."]})
    extra: dict[str, Any] = {}
    if action is Action.COMPLETE:
        if actual_start is None or actual_end is None:
            raise Invalid(
                "Completing needs the actual start and end.",
                errors={"actual_start": ["Required."], "actual_end": ["Required."]},
            )
        booking.actual_start, booking.actual_end = actual_start, actual_end
        booking.usage_quantity = usage_hours(actual_start, actual_end)
    if action is Action.START:
        booking.actual_start = now
    if action in (Action.APPROVE, Action.REJECT):
        booking.decided_at = now
    if action is Action.CANCEL:
        extra["hours_before_start"] = round((booking.planned_start - now).total_seconds() / 3600, 2)
    booking.state = target.value
    booking.version += 1
    event = {
        Action.APPROVE: "booking.approved",
        Action.REJECT: "booking.rejected",
        Action.CANCEL: "booking.cancelled",
        Action.EXPIRE: "booking.expired",
        Action.START: "booking.started",
        Action.COMPLETE: "booking.completed",
    }[action]
    _record(uow, booking, action.value, current, principal, reason, event=event, **extra)
    return booking


def expire_overdue(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 500) -> int:
    """Worker sweep: undecided requests past their deadline lapse (and free their capacity)."""
    now = now or _now()
    overdue = uow.session.scalars(
        select(Booking)
        .where(Booking.state == State.REQUESTED.value, Booking.expires_at <= now)
        .order_by(Booking.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for booking in overdue:
        booking.state = next_state(State.REQUESTED, Action.EXPIRE).value
        booking.version += 1
        _record(
            uow,
            booking,
            Action.EXPIRE.value,
            State.REQUESTED,
            None,
            "not decided in time",
            event="booking.expired",
        )
    return len(overdue)
