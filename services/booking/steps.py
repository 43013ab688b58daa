"""What every action on a booking does around its own rule: find the booking (locked) as the
caller may see it, check that the caller's party may take the action and that the state
machine allows it (domain.TRANSITIONS), and at the end move it to the next state and record
the step with its event (services/booking/recording.py). Each action is a function of its own
in decisions.py, use.py and preemption.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.booking.domain import (
    ACTOR_OF,
    EVENT_OF,
    REASON_REQUIRED,
    Action,
    Party,
    State,
    next_state,
)
from services.booking.models import AssetView, Booking
from services.booking.queries import get_booking
from services.booking.recording import record
from shared.auth import OWNER, PLANNER, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid


@dataclass(frozen=True)
class Step:
    """An action under way: who takes it and why, the booking (locked), its state now and the
    state it moves to."""

    principal: Principal
    action: Action
    reason: str | None
    booking: Booking
    current: State
    target: State
    now: datetime


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


def begin(
    uow: UnitOfWork,
    principal: Principal,
    booking_id: uuid.UUID,
    action: Action,
    reason: str | None,
    now: datetime | None = None,
) -> Step:
    """The booking, locked, once the caller may take ``action`` on it in its state (at
    ``now``, the present when not given)."""
    booking = get_booking(uow, principal=principal, booking_id=booking_id, for_update=True)
    _check_party(principal, booking, action)
    current = State(booking.state)
    target = next_state(current, action)
    if action in REASON_REQUIRED and not reason:
        raise Invalid(f"To {action.value} needs a reason.", errors={"reason": ["Required."]})
    return Step(principal, action, reason, booking, current, target, now or datetime.now(UTC))


def check_not_lapsed(step: Step) -> None:
    """A request past its deadline is not approved, even before the sweep expires it."""
    if step.booking.expires_at <= step.now:
        raise Conflict(
            f"The request lapsed at {step.booking.expires_at.isoformat()} without a decision.",
            current_state="expired",
        )


def check_not_retired(uow: UnitOfWork, step: Step) -> None:
    """Catalog may retire an asset while requests for it wait (its check reads booking's
    events, which may lag): what it retired is not approved or used any more."""
    asset_now = uow.session.get(AssetView, step.booking.asset_id)
    if asset_now is not None and asset_now.status == "retired":
        raise Conflict(
            f"Asset {asset_now.name} has been retired: reject the request, or counter-offer "
            "another asset.",
            current_state=step.current.value,
            asset_status="retired",
        )


def finish(uow: UnitOfWork, step: Step, **extra: Any) -> Booking:
    """Move the booking to the step's target state and record the step with its event."""
    booking, session = step.booking, uow.session
    booking.state = step.target.value
    booking.version += 1
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("The new window overlaps another booking of the asset.") from exc
    record(
        uow,
        booking,
        step.action.value,
        step.current,
        step.principal,
        step.reason,
        event=EVENT_OF[step.action],
        **extra,
    )
    return booking
