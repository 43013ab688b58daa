"""The actions on a booking over HTTP: one POST /bookings/{id}/<action> per action, each
parsing its command, calling its use case (decisions.py, use.py, preemption.py; each commits
its own unit of work) and returning the booking as the caller may see it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask.views import MethodView

from services.booking import decisions, preemption, use
from services.booking.domain import Action
from services.booking.schemas import (
    BookingRead,
    CompleteIn,
    CounterOfferIn,
    PreemptIn,
    TransitionIn,
)
from services.booking.visibility import one_seen_by
from shared.auth import current_principal, require_roles
from shared.db import UnitOfWork
from shared.web import Blueprint, request_uow, service_context

# One use case per action: each takes (uow, principal=, booking_id=, command=) and commits.
UseCase = Callable[..., Any]


def _preempt(uow: UnitOfWork, **kwargs: Any) -> Any:
    """Preempt, holding the best alternative as long as the settings say."""
    hold_minutes = service_context().settings.booking_hold_minutes
    return preemption.preempt(uow, hold_minutes=hold_minutes, **kwargs)


def _act(booking_id: uuid.UUID, use_case: UseCase, command: Any) -> Any:
    principal = current_principal()
    with request_uow() as uow:
        booking = use_case(uow, principal=principal, booking_id=booking_id, command=command)
        return one_seen_by(uow, principal, booking)


def _register_action(
    blp: Blueprint, action: Action, schema: type, use_case: UseCase, summary: str
) -> None:
    @blp.route(
        f"/bookings/<uuid:booking_id>/{action.value}",
        endpoint=f"booking_{action.value.replace('-', '_')}",
    )
    class _Action(MethodView):
        @require_roles()
        @blp.arguments(schema)
        @blp.response(200, BookingRead)
        def post(self, command: Any, booking_id: uuid.UUID) -> Any:
            return _act(booking_id, use_case, command)

        # In the class body: @blp.route reads the summary when it registers the view (set
        # after it, as before, the actions had none in the OpenAPI document).
        post.__doc__ = summary


ACTIONS: tuple[tuple[Action, type, UseCase, str], ...] = (
    (Action.APPROVE, TransitionIn, decisions.approve, "Approve a request (asset owner)"),
    (Action.REJECT, TransitionIn, decisions.reject, "Reject a request with a reason (asset owner)"),
    (
        Action.COUNTER_OFFER,
        CounterOfferIn,
        decisions.counter_offer,
        "Counter-offer another window or asset (asset owner)",
    ),
    (
        Action.ACCEPT_COUNTER_OFFER,
        TransitionIn,
        decisions.accept_counter_offer,
        "Accept the owner's counter-offer (requesting unit)",
    ),
    (Action.CANCEL, TransitionIn, decisions.cancel, "Cancel with a reason (requesting unit)"),
    (Action.START, TransitionIn, use.start, "Register the start of use (asset owner)"),
    (Action.COMPLETE, CompleteIn, use.complete, "Complete with actual use (asset owner)"),
    (
        Action.PREEMPT,
        PreemptIn,
        _preempt,
        "Preempt for an acute (priority 1) request of the same asset (asset owner); the best "
        "free alternative is held for the displaced unit (BOOKING_HOLD_MINUTES)",
    ),
    (
        Action.CONFIRM_HOLD,
        TransitionIn,
        preemption.confirm_hold,
        "Confirm a hold placed after a preemption: it becomes a request the owner decides "
        "(requesting unit)",
    ),
    (
        Action.RELEASE_HOLD,
        TransitionIn,
        preemption.release_hold,
        "Release a hold, freeing the slot (requesting unit)",
    ),
)


def register_actions(blp: Blueprint) -> None:
    """Route every action of ACTIONS on ``blp``."""
    for action, schema, use_case, summary in ACTIONS:
        _register_action(blp, action, schema, use_case, summary)
