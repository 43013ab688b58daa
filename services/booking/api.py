"""Booking HTTP entry points. Thin: parse, call one use case, dump."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.booking import service
from services.booking.domain import Action
from services.booking.schemas import (
    BookingCreate,
    BookingQuery,
    BookingRead,
    CompleteIn,
    TransitionIn,
    TransitionRead,
    redact,
)
from shared.auth import current_principal, require_roles
from shared.db import UnitOfWork
from shared.idempotency import run_idempotent
from shared.web import json_response, request_uow

blp = Blueprint("bookings", __name__, url_prefix="/api/v1", description="Request and decide")

IDEMPOTENCY_HEADER = {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}


def _dump(booking: Any) -> dict[str, Any]:
    principal = current_principal()
    return redact(dict(BookingRead().dump(booking)), service.can_see_purpose(principal, booking))


@blp.route("/bookings")
class Bookings(MethodView):
    @require_roles()
    @blp.arguments(BookingQuery, location="query")
    @blp.response(200, BookingRead(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """List the bookings you may see"""
        principal = current_principal()
        with request_uow() as uow:
            bookings = service.list_bookings(uow, principal=principal, **query)
            return json_response([_dump(b) for b in bookings])

    @require_roles()
    @blp.arguments(BookingCreate)
    @blp.response(201, BookingRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, booking_in: dict[str, Any]) -> Any:
        """Request an asset for a window (police planner)"""
        principal = current_principal()

        def action(uow: UnitOfWork) -> dict[str, Any]:
            booking = service.request_booking(uow, principal=principal, booking_in=booking_in)
            return _dump(booking)

        body, _ = run_idempotent(request_uow, actor=principal.sub, body=booking_in, action=action)
        return json_response(body, 201)


@blp.route("/bookings/<uuid:booking_id>")
class BookingById(MethodView):
    @require_roles()
    @blp.response(200, BookingRead)
    def get(self, booking_id: uuid.UUID) -> Any:
        """Get one booking"""
        principal = current_principal()
        with request_uow() as uow:
            booking = service.get_booking(uow, principal=principal, booking_id=booking_id)
            return json_response(_dump(booking))


@blp.route("/bookings/<uuid:booking_id>/history")
class BookingHistory(MethodView):
    @require_roles()
    @blp.response(200, TransitionRead(many=True))
    def get(self, booking_id: uuid.UUID) -> Any:
        """The audit trail of a booking"""
        principal = current_principal()
        with request_uow() as uow:
            return service.history(uow, principal=principal, booking_id=booking_id)


def _transition(booking_id: uuid.UUID, action: Action, body: dict[str, Any]) -> Any:
    principal = current_principal()
    with request_uow() as uow:
        booking = service.transition(
            uow, principal=principal, booking_id=booking_id, action=action, **body
        )
        result = _dump(booking)
        uow.commit()
    return json_response(result)


def _register_transition(action: Action, schema: type, summary: str) -> None:
    @blp.route(f"/bookings/<uuid:booking_id>/{action.value}", endpoint=f"booking_{action.value}")
    class _Transition(MethodView):
        @require_roles()
        @blp.arguments(schema)
        @blp.response(200, BookingRead)
        def post(self, body: dict[str, Any], booking_id: uuid.UUID) -> Any:
            return _transition(booking_id, action, body)

    _Transition.post.__doc__ = summary


_register_transition(Action.APPROVE, TransitionIn, "Approve a request (asset owner)")
_register_transition(Action.REJECT, TransitionIn, "Reject a request with a reason (asset owner)")
_register_transition(Action.CANCEL, TransitionIn, "Cancel with a reason (requesting unit)")
_register_transition(Action.START, TransitionIn, "Register the start of use (asset owner)")
_register_transition(Action.COMPLETE, CompleteIn, "Complete with actual use (asset owner)")
